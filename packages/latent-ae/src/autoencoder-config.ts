import { LatentAeError } from './errors';

/** Options of `ParameterAutoencoder`; every field but `inputDim` has a default. */
export interface ParameterAutoencoderOptions {
  /** Length n of the flattened parameter vectors the autoencoder reads ([batch, n]). */
  inputDim: number;
  /** Channels of each encoder stage; the decoder mirrors them (default [64, 128, 256]). */
  channels?: number[];
  /** Size of the latent vector (default 64). */
  latentDim?: number;
  /** Odd convolution kernel size, so that padding k//2 keeps or exactly halves lengths (default 7). */
  kernelSize?: number;
  /** Standard deviation of the Gaussian noise added to the input in training mode (default 0.001). */
  inputNoise?: number;
  /** Standard deviation of the Gaussian noise added to the latent in training mode (default 0.1). */
  latentNoise?: number;
  /** Encode to a diagonal Gaussian and add β·KL to the loss (default false). */
  variational?: boolean;
  /** β, the weight of the KL term when `variational` (default 1e-3). */
  klWeight?: number;
  /** Slope of the encoder's LeakyReLU for negative inputs (default 0.01, as PyTorch). */
  negativeSlope?: number;
  /** Seed of the weight initialisation and of the training noise (default 0). */
  seed?: number;
}

/** The resolved options, every default filled in; saved as the autoencoder's config JSON. */
export type ParameterAutoencoderConfig = Required<ParameterAutoencoderOptions>;

const DEFAULTS: Omit<ParameterAutoencoderConfig, 'inputDim'> = {
  channels: [64, 128, 256],
  latentDim: 64,
  kernelSize: 7,
  inputNoise: 0.001,
  latentNoise: 0.1,
  variational: false,
  klWeight: 1e-3,
  negativeSlope: 0.01,
  seed: 0,
};

const KNOWN_KEYS = new Set(['inputDim', ...Object.keys(DEFAULTS)]);

/**
 * Fills in defaults and checks every option, so that a bad value (often from a hand-edited
 * config file) fails here with its name rather than as a shape error deep in a convolution.
 * `source` names where the options came from in error messages.
 */
export function resolveAutoencoderConfig(
  options: ParameterAutoencoderOptions,
  source = 'ParameterAutoencoder',
): ParameterAutoencoderConfig {
  if (typeof options !== 'object' || options === null) {
    throw new LatentAeError(`${source}: options must be an object`);
  }
  const unknown = Object.keys(options).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0)
    throw new LatentAeError(`${source}: unknown option(s) ${unknown.join(', ')}`);
  const config: ParameterAutoencoderConfig = { ...DEFAULTS, ...options };
  // Copy so that later edits to the caller's array cannot change a built model's config.
  config.channels = Array.isArray(config.channels) ? [...config.channels] : config.channels;
  const positiveInt = (name: keyof ParameterAutoencoderConfig, value: unknown): void => {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new LatentAeError(
        `${source}: ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  };
  positiveInt('inputDim', config.inputDim);
  positiveInt('latentDim', config.latentDim);
  positiveInt('kernelSize', config.kernelSize);
  if (config.kernelSize % 2 === 0) {
    throw new LatentAeError(`${source}: kernelSize must be odd, got ${config.kernelSize}`);
  }
  if (!Array.isArray(config.channels) || config.channels.length === 0) {
    throw new LatentAeError(`${source}: channels must be a non-empty array of positive integers`);
  }
  for (const c of config.channels) positiveInt('channels', c);
  for (const name of ['inputNoise', 'latentNoise', 'klWeight', 'negativeSlope'] as const) {
    const value = config[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new LatentAeError(
        `${source}: ${name} must be a finite number ≥ 0, got ${String(value)}`,
      );
    }
  }
  if (typeof config.variational !== 'boolean') {
    throw new LatentAeError(`${source}: variational must be true or false`);
  }
  if (!Number.isInteger(config.seed) || config.seed < 0) {
    throw new LatentAeError(`${source}: seed must be a non-negative integer, got ${config.seed}`);
  }
  return config;
}
