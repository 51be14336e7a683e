// Importing @pgen/nn (and through it @pgen/backends) registers the gradients training needs.
export {
  type ParameterAutoencoderConfig,
  type ParameterAutoencoderOptions,
  resolveAutoencoderConfig,
} from './autoencoder-config';
export {
  AUTOENCODER_CONFIG_NAME,
  AUTOENCODER_WEIGHTS_NAME,
  loadAutoencoder,
  saveAutoencoder,
} from './autoencoder-io';
export { DecoderStage } from './decoder-stage';
export { EncoderStage } from './encoder-stage';
export { LatentAeError } from './errors';
export { gaussianKl } from './gaussian-kl';
export {
  type AutoencoderLossTerms,
  type EncodeOptions,
  type LatentDistribution,
  ParameterAutoencoder,
} from './parameter-autoencoder';
export { upsampleNearest2x } from './upsample';
