import { CondPdiffError } from './cond-pdiff-error';

/**
 * What a generated adapter is conditioned on:
 * - `descriptor`: each task's continuous descriptor (a rotation angle) through a
 *   `ContinuousDescriptorEncoder`; reaches tasks never trained on.
 * - `embedding`: one learned vector per training task (`TaskEmbeddingEncoder`); seen tasks only.
 * - `examples`: a handful of labelled examples of the task through a `DatasetEncoder` trained
 *   jointly; reaches unseen tasks from data alone.
 */
export type CondPdiffConditionKind = 'descriptor' | 'embedding' | 'examples';
export const COND_PDIFF_CONDITION_KINDS: readonly CondPdiffConditionKind[] = [
  'descriptor',
  'embedding',
  'examples',
];

/** The latent denoiser: a residual MLP (fast on CPU) or p-diff's 1-D conv U-Net. */
export type CondPdiffDenoiserKind = 'mlp' | 'cnn';

/** Options of {@link CondPdiffPipeline.fit}; every field has a default sized for CPU. */
export interface CondPdiffConfig {
  /** Condition kind (default descriptor). */
  condition: CondPdiffConditionKind;
  /** Width of the condition vector the denoiser takes (default 64). */
  conditionDim: number;
  /** Descriptor values are angles in degrees (sin/cos harmonics, period 360°) (default true). */
  periodicDescriptor: boolean;
  /** Fourier frequencies per descriptor value (default 4). */
  fourierFeatures: number;
  /** Labelled examples per task drawn for each training step under `examples` (default 32). */
  examplesPerTask: number;
  /** Classes of the examples' labels (default 10). */
  numClasses: number;
  /** Values per raw example (default 784: a 28×28 digit). */
  exampleSize: number;
  /**
   * Channels of the autoencoder's strided conv stages (default [16, 16, 16]; p-diff's GPU
   * widths are 64–256). Measured on the rotated-MNIST LoRA zoo (6,144 values per adapter,
   * wasm, 300 steps): [16, 16, 16] with kernel 5 reached a reconstruction loss of 0.047 at
   * 0.7 s a step; [32, 32] 0.012 at 1.6 s; [8, 8, 16, 16, 32, 32] with kernel 3 stalled at 0.30
   * (six halvings leave too few channels near the output to place 6,144 values).
   */
  aeChannels: number[];
  /** Conv kernel size of the autoencoder (default 5). */
  aeKernelSize: number;
  /** Latent size (default 64). */
  latentDim: number;
  /** Noise σ on the autoencoder input during its training (default 0.001, as p-diff). */
  inputNoise: number;
  /** Noise σ on the latent during autoencoder training (default 0.1, as p-diff). */
  latentNoise: number;
  /** Variational autoencoder with KL weight `klWeight` (default false). */
  variational: boolean;
  klWeight: number;
  /** Autoencoder optimiser steps, batch size and peak learning rate (defaults 1200, 32, 1e-3). */
  aeSteps: number;
  aeBatchSize: number;
  aeLr: number;
  /** Latent denoiser (default mlp). */
  denoiser: CondPdiffDenoiserKind;
  /** MLP denoiser hidden width and residual blocks (defaults 256, 3). */
  denoiserHidden: number;
  denoiserDepth: number;
  /** Latent diffusion optimiser steps, batch size and peak learning rate (defaults 4000, 64, 1e-3). */
  diffusionSteps: number;
  diffusionBatchSize: number;
  diffusionLr: number;
  /** Diffusion training timesteps (default 1000). */
  numTrainTimesteps: number;
  /**
   * What the denoiser predicts (default `sample`, the clean latent; p-diff predicts the noise).
   * Measured on the rotated-MNIST LoRA zoo (same autoencoder, 4,000 steps, 500 test images):
   * adapters generated for seen rotations scored 85–93% with `epsilon` (45°, 180°; trained
   * 91–92%) and 93.6–93.8% with `sample`. With DDIM's η = 0 `sample` then gives each
   * condition one adapter, whatever the seed.
   */
  predictionType: 'epsilon' | 'sample' | 'v_prediction';
  /** DDIM steps when generating (default 50). */
  samplingSteps: number;
  /** Seed of initial weights, batches and noise (default 0). */
  seed: number;
}

export const DEFAULT_COND_PDIFF_CONFIG: Readonly<CondPdiffConfig> = Object.freeze({
  condition: 'descriptor',
  conditionDim: 64,
  periodicDescriptor: true,
  fourierFeatures: 4,
  examplesPerTask: 32,
  numClasses: 10,
  exampleSize: 784,
  aeChannels: [16, 16, 16],
  aeKernelSize: 5,
  latentDim: 64,
  inputNoise: 0.001,
  latentNoise: 0.1,
  variational: false,
  klWeight: 1e-3,
  aeSteps: 1200,
  aeBatchSize: 32,
  aeLr: 1e-3,
  denoiser: 'mlp',
  denoiserHidden: 256,
  denoiserDepth: 3,
  diffusionSteps: 4000,
  diffusionBatchSize: 64,
  diffusionLr: 1e-3,
  numTrainTimesteps: 1000,
  predictionType: 'sample',
  samplingSteps: 50,
  seed: 0,
} as CondPdiffConfig);

/**
 * Fills defaults and checks every field; one {@link CondPdiffError} lists every problem, and an
 * unknown key (a typo in a config file) is refused rather than ignored.
 */
export function resolveCondPdiffConfig(options: Partial<CondPdiffConfig> = {}): CondPdiffConfig {
  const problems: string[] = [];
  const unknown = Object.keys(options).filter((k) => !(k in DEFAULT_COND_PDIFF_CONFIG));
  if (unknown.length > 0) problems.push(`unknown option(s) ${unknown.join(', ')}`);
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as Partial<CondPdiffConfig>;
  const config: CondPdiffConfig = {
    ...DEFAULT_COND_PDIFF_CONFIG,
    ...defined,
    aeChannels: [...(defined.aeChannels ?? DEFAULT_COND_PDIFF_CONFIG.aeChannels)],
  };
  const positiveInts: (keyof CondPdiffConfig)[] = [
    'conditionDim',
    'fourierFeatures',
    'examplesPerTask',
    'numClasses',
    'exampleSize',
    'aeKernelSize',
    'latentDim',
    'aeSteps',
    'aeBatchSize',
    'denoiserHidden',
    'denoiserDepth',
    'diffusionSteps',
    'diffusionBatchSize',
    'numTrainTimesteps',
    'samplingSteps',
  ];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      problems.push(`${key} must be a positive integer, got ${String(v)}`);
    }
  }
  if (config.aeKernelSize % 2 === 0) {
    problems.push(`aeKernelSize must be odd, got ${config.aeKernelSize}`);
  }
  if (
    !Array.isArray(config.aeChannels) ||
    config.aeChannels.length === 0 ||
    !config.aeChannels.every((c) => Number.isInteger(c) && c > 0)
  ) {
    problems.push(`aeChannels must be a non-empty list of positive integers`);
  }
  for (const key of ['inputNoise', 'latentNoise', 'klWeight'] as const) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      problems.push(`${key} must be a finite number ≥ 0, got ${String(v)}`);
    }
  }
  for (const key of ['aeLr', 'diffusionLr'] as const) {
    if (!(config[key] > 0)) problems.push(`${key} must be positive, got ${String(config[key])}`);
  }
  if (!COND_PDIFF_CONDITION_KINDS.includes(config.condition)) {
    problems.push(
      `condition must be one of ${COND_PDIFF_CONDITION_KINDS.join(', ')}, got "${config.condition}"`,
    );
  }
  if (!['mlp', 'cnn'].includes(config.denoiser)) {
    problems.push(`denoiser must be mlp or cnn, got "${config.denoiser}"`);
  }
  if (!['epsilon', 'sample', 'v_prediction'].includes(config.predictionType)) {
    problems.push(
      `predictionType must be epsilon, sample or v_prediction, got "${config.predictionType}"`,
    );
  }
  for (const key of ['variational', 'periodicDescriptor'] as const) {
    if (typeof config[key] !== 'boolean') problems.push(`${key} must be true or false`);
  }
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) {
    problems.push(`seed must be a non-negative integer, got ${config.seed}`);
  }
  if (problems.length > 0) throw new CondPdiffError(`COND P-DIFF config: ${problems.join('; ')}`);
  return config;
}

/** The config fields that decide the autoencoder stage: two fits that agree here share it. */
export function autoencoderStageKey(config: CondPdiffConfig): string {
  const { aeChannels, aeKernelSize, latentDim, inputNoise, latentNoise, variational } = config;
  const { klWeight, aeSteps, aeBatchSize, aeLr, seed } = config;
  return JSON.stringify({
    aeChannels,
    aeKernelSize,
    latentDim,
    inputNoise,
    latentNoise,
    variational,
    klWeight,
    aeSteps,
    aeBatchSize,
    aeLr,
    seed,
  });
}
