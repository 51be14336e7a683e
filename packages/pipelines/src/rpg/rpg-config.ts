import { RpgError } from './rpg-error';

/** Which sequence model turns position inputs into prototypes; `none` is a per-position MLP. */
export type RpgPriorKind = 'mamba' | 'lstm' | 'transformer' | 'none';
export const RPG_PRIOR_KINDS: readonly RpgPriorKind[] = ['mamba', 'lstm', 'transformer', 'none'];

/** How generation is conditioned on a task. */
export type RpgConditionKind = 'none' | 'task-code' | 'task-examples';
export const RPG_CONDITION_KINDS: readonly RpgConditionKind[] = [
  'none',
  'task-code',
  'task-examples',
];

/** Which token denoiser: RPG's conditional 1-D conv U-Net, or the faster residual MLP. */
export type RpgDenoiserKind = 'unet' | 'mlp';
export const RPG_DENOISER_KINDS: readonly RpgDenoiserKind[] = ['unet', 'mlp'];

/** Options of {@link RpgPipeline.fit}; every field has a default sized for small models on CPU. */
export interface RpgConfig {
  /** Values per token (default 1024; a zoo smaller than one token still gets one token). */
  tokenSize: number;
  /**
   * Glob patterns of tensors the tokenizer normalises per element over the zoo instead of per
   * tensor (`'element-zscore'`), e.g. `["**.running_mean"]`: a BatchNorm mean's error matters per
   * channel, and per-tensor z-scoring lets the generator's small shrinkage toward the tensor mean
   * cost accuracy. Default [] (RPG's per-tensor normalisation everywhere).
   */
  elementwiseNormalization: string[];
  /** Width of the 2-D sinusoidal position embedding fed to the prior input (default 64). */
  dPos: number;
  /** Prior kind (default mamba). */
  prior: RpgPriorKind;
  /** Prototype width: the prior's dModel and the denoiser's conditionDim (default 128). */
  dModel: number;
  /** Prior layers (default 2). */
  priorLayers: number;
  /**
   * Extra options of the prior, merged over its defaults (e.g. `{ dState: 4, expand: 1 }` for a
   * Mamba whose scan is 8× cheaper; see `MambaPriorOptions`, `LstmPriorOptions`). Default {}.
   */
  priorOptions: Record<string, number | boolean>;
  /**
   * Feed each position the previous clean token (teacher forcing, as the RPG paper describes;
   * its reference code leaves it out). Generation then runs token by token, since every
   * prototype waits for the token before it (default false).
   */
  teacherForcing: boolean;
  /**
   * Task condition of every checkpoint (issue #9): `task-code` reads each zoo checkpoint's
   * 10-bit class code (zoo.json `taskCode`) and feeds it, through a `BinaryCodeEncoder` trained
   * jointly, to the prior; generation then takes a code. Default `none`.
   * `task-examples` describes each task by a handful of labelled examples instead (binary
   * labels), through a `DatasetEncoder` trained jointly (its feature extractor pretrained and
   * frozen first: `examplesPretrainSteps`): the fit draws `examplesPerTask` examples
   * of the checkpoint's task every step (`RpgFitCallbacks.taskExamples`), generation takes a set.
   */
  condition: RpgConditionKind;
  /** Examples per task drawn for each training step under `task-examples` (default 32). */
  examplesPerTask: number;
  /**
   * Under `task-examples`: steps of supervised pretraining of the dataset encoder's feature
   * extractor as a digit classifier (`RpgFitCallbacks.pretrainData`) before the joint training,
   * which then keeps the extractor frozen. From the diffusion loss alone the extractor never
   * learns which digit an image shows, and that is what tells the tasks apart: measured on the
   * 300-task MNIST zoo at 4,000 steps, the generated classifiers stayed at chance (51%).
   * 0 learns the extractor jointly, as before. Default 1500; other conditions, which have no
   * extractor, ignore it.
   */
  examplesPretrainSteps: number;
  /**
   * Add the condition only at the last k positions, as RPG's reference code does; 0 (default)
   * adds it at every position.
   */
  conditionLastK: number;
  /** Token denoiser (default unet). */
  denoiser: RpgDenoiserKind;
  /** U-Net channels, starting and ending with 1 (default [1, 16, 32, 16, 1]). */
  unetChannels: number[];
  /** U-Net kernel size (default 7). */
  unetKernelSize: number;
  /** MLP denoiser hidden width (default 256). */
  mlpHidden: number;
  /**
   * What the denoiser predicts: `sample` (the clean token x0, default), `epsilon` (the noise,
   * DDPM's usual target) or `v_prediction`. Measured on the MNIST MLP zoo (50 checkpoints,
   * 201 tokens, wasm, 400 steps): generated weights land 0.16 per-tensor standard deviations
   * from the zoo mean with `sample`, 1.74 (noise level) with `epsilon`, since RPG must memorise
   * each token and x0 is the direct signal for that at every noise level.
   */
  predictionType: 'epsilon' | 'sample' | 'v_prediction';
  /**
   * How the masked loss averages a step's tokens: `token` (default) gives every token the same
   * weight, whatever share of it is padding; `element` averages over valid values, as RPG's
   * reference does. Measured on the MNIST ResNet zoo (wasm, 2,000 steps, `element`): weight
   * tokens landed 0.02 per-tensor std from the nearest zoo checkpoint but the one-token tensors
   * (BatchNorm statistics and affine, biases) 0.5–1.1 std away, and the models scored 28% — a
   * 32-value token got 32/1024 of a full token's gradient.
   */
  lossReduction: 'token' | 'element';
  /** Diffusion training timesteps (default 1000). */
  numTrainTimesteps: number;
  /**
   * Clamp of the predicted clean token during sampling, in normalised (z-scored) units; 0 turns
   * it off (default 5). An under-trained ε-model divided by √ᾱ_t ≈ 0 at the first steps would
   * otherwise throw tokens far outside anything a zoo holds.
   */
  clipSampleRange: number;
  /** Optimiser steps (default 2000). */
  steps: number;
  /** Token positions trained per step, as RPG's reference samples a subset (default 64). */
  tokensPerStep: number;
  /** Peak learning rate of the cosine schedule (default 1e-3). */
  lr: number;
  /** Warm-up steps of the cosine schedule (default 5% of `steps`). */
  warmupSteps: number;
  /** AdamW weight decay (default 0). */
  weightDecay: number;
  /** Gradient-norm clipping (default 1). */
  clipNorm: number;
  /** Seed of initial weights, step choices and diffusion noise (default 0). */
  seed: number;
}

/** Fills defaults and checks ranges; throws one {@link RpgError} listing every problem. */
export function resolveRpgConfig(options: Partial<RpgConfig> = {}): RpgConfig {
  const steps = options.steps ?? 2000;
  const config: RpgConfig = {
    tokenSize: 1024,
    elementwiseNormalization: [],
    dPos: 64,
    prior: 'mamba',
    dModel: 128,
    priorLayers: 2,
    priorOptions: {},
    teacherForcing: false,
    condition: 'none',
    conditionLastK: 0,
    examplesPerTask: 32,
    examplesPretrainSteps: 1500,
    denoiser: 'unet',
    unetChannels: [1, 16, 32, 16, 1],
    unetKernelSize: 7,
    mlpHidden: 256,
    numTrainTimesteps: 1000,
    predictionType: 'sample',
    lossReduction: 'token',
    clipSampleRange: 5,
    tokensPerStep: 64,
    lr: 1e-3,
    weightDecay: 0,
    clipNorm: 1,
    seed: 0,
    ...stripUndefined(options),
    steps,
    warmupSteps: options.warmupSteps ?? Math.floor(steps * 0.05),
  };
  const problems: string[] = [];
  const positiveInts: (keyof RpgConfig)[] = [
    'tokenSize',
    'dPos',
    'dModel',
    'priorLayers',
    'unetKernelSize',
    'mlpHidden',
    'numTrainTimesteps',
    'steps',
    'tokensPerStep',
    'examplesPerTask',
  ];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      problems.push(`${key} must be a positive integer, got ${String(v)}`);
    }
  }
  const elementwise = config.elementwiseNormalization;
  if (!Array.isArray(elementwise) || elementwise.some((p) => typeof p !== 'string')) {
    problems.push(
      `elementwiseNormalization must be a list of glob patterns, got ${JSON.stringify(elementwise)}`,
    );
  }
  if (config.dPos % 2 !== 0) problems.push(`dPos must be even, got ${config.dPos}`);
  if (!RPG_PRIOR_KINDS.includes(config.prior)) {
    problems.push(`prior must be one of ${RPG_PRIOR_KINDS.join(', ')}, got "${config.prior}"`);
  }
  if (!RPG_CONDITION_KINDS.includes(config.condition)) {
    problems.push(
      `condition must be one of ${RPG_CONDITION_KINDS.join(', ')}, got "${config.condition}"`,
    );
  }
  if (!Number.isInteger(config.examplesPretrainSteps) || config.examplesPretrainSteps < 0) {
    problems.push(
      `examplesPretrainSteps must be a non-negative integer, got ${config.examplesPretrainSteps}`,
    );
  }
  if (!Number.isInteger(config.conditionLastK) || config.conditionLastK < 0) {
    problems.push(`conditionLastK must be a non-negative integer, got ${config.conditionLastK}`);
  }
  if (!RPG_DENOISER_KINDS.includes(config.denoiser)) {
    problems.push(
      `denoiser must be one of ${RPG_DENOISER_KINDS.join(', ')}, got "${config.denoiser}"`,
    );
  }
  const ch = config.unetChannels;
  if (ch.length < 3 || ch.length % 2 === 0 || ch[0] !== 1 || ch[ch.length - 1] !== 1) {
    // The U's skips pair encoder i with decoder n − i, so the list must be odd and symmetric ends.
    problems.push(`unetChannels must have an odd length ≥ 3 and start and end with 1, got [${ch}]`);
  }
  if (!['epsilon', 'sample', 'v_prediction'].includes(config.predictionType)) {
    problems.push(
      `predictionType must be epsilon, sample or v_prediction, got "${config.predictionType}"`,
    );
  }
  if (!['token', 'element'].includes(config.lossReduction)) {
    problems.push(`lossReduction must be token or element, got "${config.lossReduction}"`);
  }
  if (!(config.clipSampleRange >= 0)) {
    problems.push(`clipSampleRange must be >= 0, got ${config.clipSampleRange}`);
  }
  if (!(config.lr > 0)) problems.push(`lr must be positive, got ${config.lr}`);
  if (!Number.isInteger(config.warmupSteps) || config.warmupSteps < 0) {
    problems.push(`warmupSteps must be a non-negative integer, got ${config.warmupSteps}`);
  } else if (config.warmupSteps >= config.steps) {
    problems.push(`warmupSteps (${config.warmupSteps}) must be below steps (${config.steps})`);
  }
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) {
    problems.push(`seed must be a non-negative integer, got ${config.seed}`);
  }
  if (problems.length > 0) throw new RpgError(`RPG config: ${problems.join('; ')}`);
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The config of a saved pipeline: saved fields over the defaults, except that a config from
 * before `lossReduction` existed was trained with `element` (the only reduction then), and a
 * task-examples one from before `examplesPretrainSteps` learned its extractor jointly (0).
 * Other conditions take today's default, so their saved pipelines still match a fresh config.
 */
export function resolveSavedRpgConfig(saved: Partial<RpgConfig>): RpgConfig {
  const before = saved.condition === 'task-examples' ? { examplesPretrainSteps: 0 } : {};
  return resolveRpgConfig({ lossReduction: 'element', ...before, ...saved });
}
