export {
  NegativeValueError,
  NonFiniteValueError,
  StateDictMismatchError,
  TokenCountMismatchError,
  TokenizerConfigError,
  TokenizerError,
  TokenizerFormatError,
  ZooMismatchError,
} from './errors';
export { compileGlobs, globToRegExp } from './glob';
export { type RowSplit, splitRows } from './granularity';
export { type LayoutEntry, type TensorSignature, TokenLayout } from './layout';
export { IDENTITY_NORMALIZATION, type TensorNormalization } from './normalizer';
export {
  ALWAYS_KEPT_ASIDE,
  DEFAULT_LOG_OFFSET,
  DEFAULT_LOG_TRANSFORM,
  DEFAULT_TOKEN_SIZE,
  type FitOptions,
  type Granularity,
  type NormalizationMode,
} from './options';
export { type PositionEmbedding, sinusoidal1d, sinusoidal2d } from './position-embedding';
export { StreamingDecoder } from './stream-decoder';
export { type SelectionRules, selectTensors, type TensorSelection } from './tensor-select';
export {
  type EncodedTokens,
  type PositionEmbeddingKind,
  type TensorSource,
  TensorTokenizer,
  type TokenizerConfig,
} from './tensor-tokenizer';
export type { TokenBlock } from './token-block';
export { TOKENIZER_FORMAT, TOKENIZER_FORMAT_VERSION } from './tokenizer-file';
export { TokenizerFitter } from './tokenizer-fitter';
export type { GeneratedTensorSpec, TokenizerSpec } from './tokenizer-spec';
