import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateDict } from '@pgen/checkpoint-io';
import {
  ConditionalUnet1d,
  DdpmScheduler,
  type DenoiserModule,
  MlpDenoiser,
  type SamplerKind,
} from '@pgen/diffusion-core';
import { Rng } from '@pgen/nn';
import {
  type ClassificationData,
  DatasetEncoder,
  type LabelledSet,
  type PretrainProgress,
  type PretrainResult,
  pretrainFeatureExtractor,
} from '@pgen/task-encoder';
import { TensorTokenizer } from '@pgen/tensor-tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { modelDeclarations, writeTensorStream } from './generated-file';
import { PrototypeNetwork } from './prototype-network';
import { type RpgConfig, resolveRpgConfig } from './rpg-config';
import { RpgError } from './rpg-error';
import {
  loadRpgPipelineParts,
  type RpgFitInfo,
  type RpgPipelineParts,
  saveRpgPipelineParts,
} from './rpg-io';
import { sampleRpgModel } from './rpg-sampling';
import { type RpgFitProgress, trainRpg } from './rpg-training';
import type { RpgCheckpointing } from './rpg-training-state';
import { checkSameLayout, loadZooDir } from './zoo-source';

/** Options of {@link RpgPipeline.fit} besides the config. */
export interface RpgFitCallbacks {
  /** Called after every optimiser step. */
  onProgress?: (progress: RpgFitProgress) => void;
  /**
   * Save training checkpoints here and resume from the newest one found (same zoo and config).
   * Without it a fit starts from scratch and keeps no checkpoints.
   */
  checkpointing?: RpgCheckpointing;
  /**
   * Each checkpoint's 10-bit task code, for `condition: 'task-code'` when the zoo is given as
   * state dicts (a zoo folder's zoo.json supplies them).
   */
  taskCodes?: readonly string[];
  /**
   * For `condition: 'task-examples'`: draws labelled examples of the task with code `code`
   * (e.g. MNIST digits labelled by the code's bits); called once per training step.
   */
  taskExamples?: (code: string, rng: Rng) => LabelledSet;
  /**
   * For `task-examples` with `examplesPretrainSteps` > 0: labelled images of many classes (MNIST
   * digits with their digit, 0–9) on which the example encoder's feature extractor is pretrained
   * as a classifier. `validation`, if given, is only measured (`fitInfo.extractorPretraining`).
   */
  pretrainData?: ClassificationData & { numClasses: number; validation?: ClassificationData };
  /** Called after every step of that pretraining. */
  onPretrainProgress?: (progress: PretrainProgress) => void;
}

/** Options of {@link RpgPipeline.generate} and {@link RpgPipeline.generateStateDicts}. */
export interface RpgGenerateOptions {
  /** Models to generate. */
  count: number;
  /** Base seed (default 0); model i uses its own seed derived from it. */
  seed?: number;
  /** Denoising steps (default 50). */
  steps?: number;
  /** `ddim` (default, deterministic given the seed) or `ddpm`. */
  sampler?: SamplerKind;
  /** Tokens denoised at once (default 256). */
  chunkSize?: number;
  /** Called after each model is done with (models done, count). */
  onModel?: (done: number, count: number) => void;
  /**
   * The task to generate for, a 10-bit class code; required by a task-code pipeline. Also a soft
   * code, 10 values in [0, 1] (e.g. an `ExampleCodeEstimator`'s reading of labelled examples).
   */
  taskCode?: string | readonly number[];
  /** The task to generate for as labelled examples; required by a task-examples pipeline. */
  taskExamples?: LabelledSet;
}

/** Models per base seed: model i of seed s uses s · SEED_STRIDE + i, so runs never collide. */
const SEED_STRIDE = 65_536;

/**
 * RPG (recurrent diffusion for parameter generation): a fitted tokenizer cuts weights into
 * per-layer tokens, a recurrent prior turns each token's position (and a permutation state)
 * into a prototype, and a diffusion denoiser generates each token conditioned on its prototype.
 * Generation streams: tokens are sampled a chunk at a time and decoded tensor by tensor, so
 * memory stays flat in the model size (except with teacher forcing, which keeps the sequence).
 *
 * Capacity note, measured: an `mlp` denoiser narrower than a token cannot pass x_t through
 * (its output lies in a `mlpHidden`-dimensional subspace), so keep `mlpHidden ≥ tokenSize`.
 */
export class RpgPipeline {
  private constructor(private readonly parts: RpgPipelineParts) {}

  /** The resolved training config. */
  get config(): RpgConfig {
    return this.parts.config;
  }

  /** What the fit cost, when known (see `RpgFitInfo`). */
  get fitInfo(): RpgFitInfo | undefined {
    return this.parts.fitInfo;
  }

  get tokenizer(): TensorTokenizer {
    return this.parts.tokenizer;
  }

  /**
   * Fits the tokenizer on `zoo` (state dicts, or a zoo folder: see `loadZooDir`) and trains the
   * prior and denoiser jointly for `config.steps` steps.
   */
  static async fit(
    zoo: readonly StateDict[] | string,
    options: Partial<RpgConfig> = {},
    callbacks: RpgFitCallbacks = {},
  ): Promise<RpgPipeline> {
    const config = resolveRpgConfig(options);
    const loaded = typeof zoo === 'string' ? await loadZooDir(zoo) : undefined;
    const checkpoints = loaded ? loaded.checkpoints : (zoo as readonly StateDict[]);
    checkSameLayout(checkpoints);
    const taskCodes = callbacks.taskCodes ?? loaded?.taskCodes;
    if (config.condition !== 'none') {
      if (!taskCodes || taskCodes.length !== checkpoints.length) {
        throw new RpgError(
          `condition ${config.condition} needs one task code per checkpoint (zoo.json taskCode, from a \`tasks\` zoo); got ${taskCodes?.length ?? 0} for ${checkpoints.length} checkpoints`,
        );
      }
      for (const code of taskCodes) checkTaskCode(code);
    }
    if (config.condition === 'task-examples' && !callbacks.taskExamples) {
      throw new RpgError('condition task-examples needs a source of labelled examples per task');
    }
    const pretrainSteps = config.condition === 'task-examples' ? config.examplesPretrainSteps : 0;
    const pretrainData = callbacks.pretrainData;
    if (pretrainSteps > 0 && !pretrainData) {
      throw new RpgError(
        `examplesPretrainSteps ${pretrainSteps} needs labelled images to pretrain the example encoder's feature extractor on (e.g. MNIST digits); give them, or set examplesPretrainSteps to 0`,
      );
    }
    const tokenizer = TensorTokenizer.fit(checkpoints, {
      granularity: 'layer',
      tokenSize: config.tokenSize,
      elementwise: config.elementwiseNormalization,
    });
    const encoded = checkpoints.map((c, i) => tokenizer.encode(c, `zoo checkpoint ${i}`));
    const rng = new Rng(config.seed);
    const network = new PrototypeNetwork(
      {
        ...PrototypeNetwork.configFor(config.prior, {
          dPos: config.dPos,
          dModel: config.dModel,
          numCheckpoints: checkpoints.length,
          layers: config.priorLayers,
          priorOptions: config.priorOptions,
        }),
        teacherForcingTokenSize: config.teacherForcing ? tokenizer.tokenSize : undefined,
        condition:
          config.condition === 'task-code'
            ? PrototypeNetwork.taskCodeCondition(config.dModel, config.conditionLastK, config.seed)
            : config.condition === 'task-examples'
              ? PrototypeNetwork.taskExamplesCondition(
                  config.dModel,
                  config.conditionLastK,
                  config.seed,
                  pretrainSteps > 0,
                )
              : undefined,
      },
      { rng },
    );
    const denoiser = createDenoiser(config, tokenizer.tokenSize);
    const scheduler = new DdpmScheduler({
      numTrainTimesteps: config.numTrainTimesteps,
      predictionType: config.predictionType,
      clipSample: config.clipSampleRange > 0,
      clipSampleRange: config.clipSampleRange > 0 ? config.clipSampleRange : 1,
    });
    const positions = tokenizer.positionEmbedding(config.dPos, '2d').data;
    const pipeline = new RpgPipeline({
      config,
      tokenizer,
      network,
      denoiser,
      scheduler,
      positions,
    });
    const started = Date.now();
    let extractorPretraining = undefined as PretrainResult | undefined;
    const encoder = network.conditionEncoder;
    const pretrain =
      pretrainSteps > 0 && pretrainData && encoder instanceof DatasetEncoder
        ? async () => {
            extractorPretraining = await pretrainFeatureExtractor(encoder, {
              ...pretrainData,
              steps: pretrainSteps,
              seed: config.seed,
              onProgress: callbacks.onPretrainProgress,
            });
          }
        : undefined;
    try {
      const finalLoss = await trainRpg(
        {
          network,
          denoiser,
          scheduler,
          positions,
          encoded,
          taskCodes: config.condition === 'task-code' ? taskCodes : undefined,
          taskExamples:
            config.condition === 'task-examples'
              ? (i, rng) => callbacks.taskExamples!(taskCodes![i]!, rng)
              : undefined,
          pretrain,
        },
        config,
        callbacks.onProgress,
        callbacks.checkpointing,
      );
      pipeline.parts.fitInfo = {
        seconds: (Date.now() - started) / 1000,
        steps: config.steps,
        finalLoss,
        backend: tf.getBackend(),
        ...(extractorPretraining ? { extractorPretraining } : {}),
      };
    } catch (error) {
      pipeline.dispose();
      throw error;
    }
    return pipeline;
  }

  /** Loads what {@link RpgPipeline.save} wrote. */
  static async load(dir: string): Promise<RpgPipeline> {
    return new RpgPipeline(await loadRpgPipelineParts(dir));
  }

  /** Saves the pipeline as a folder (see `saveRpgPipelineParts` for its files). */
  async save(dir: string): Promise<void> {
    await saveRpgPipelineParts(dir, this.parts);
  }

  /** Generates `count` models as in-memory state dicts (for small models). */
  async generateStateDicts(options: RpgGenerateOptions): Promise<StateDict[]> {
    this.checkCondition(options);
    const out: StateDict[] = [];
    for (const seed of modelSeeds(options)) {
      const model: StateDict = new Map();
      for await (const [name, tensor] of sampleRpgModel(this.parts, { ...options, seed })) {
        model.set(name, tensor);
      }
      out.push(model);
      options.onModel?.(out.length, options.count);
    }
    return out;
  }

  /**
   * Generates `count` models into `outDir/generated-XXXX.safetensors`, each written tensor by
   * tensor as it is decoded, so memory stays flat in the model size. Returns the file paths.
   */
  async generate(outDir: string, options: RpgGenerateOptions): Promise<string[]> {
    this.checkCondition(options);
    await mkdir(outDir, { recursive: true });
    const declarations = modelDeclarations(this.parts.tokenizer);
    const paths: string[] = [];
    for (const [i, seed] of modelSeeds(options).entries()) {
      const path = join(outDir, `generated-${String(i).padStart(4, '0')}.safetensors`);
      await writeTensorStream(
        path,
        declarations,
        sampleRpgModel(this.parts, { ...options, seed }),
        {
          format: 'pgen-rpg-generated',
          seed: String(seed),
          ...(options.taskCode ? { task_code: describeTaskCode(options.taskCode) } : {}),
        },
      );
      paths.push(path);
      options.onModel?.(paths.length, options.count);
    }
    return paths;
  }

  private checkCondition(options: RpgGenerateOptions): void {
    const network = this.parts.network;
    const conditioned = network.conditionEncoder !== undefined;
    const given = options.taskCode !== undefined || options.taskExamples !== undefined;
    if (!conditioned && given) {
      throw new RpgError('this pipeline was fitted without task conditions: it takes no task');
    }
    if (conditioned && network.takesExamples && options.taskExamples === undefined) {
      throw new RpgError(
        'this pipeline is conditioned on task examples: give labelled examples of the task',
      );
    }
    if (conditioned && !network.takesExamples && options.taskCode === undefined) {
      throw new RpgError('this pipeline is task-conditioned: give the task code to generate for');
    }
    if (conditioned && !network.takesExamples && options.taskExamples !== undefined) {
      throw new RpgError('this pipeline is conditioned on task codes, not examples');
    }
    if (options.taskCode !== undefined) checkTaskCode(options.taskCode);
  }

  /** Frees the tfjs weights. */
  dispose(): void {
    this.parts.network.dispose();
    this.parts.denoiser.dispose();
  }
}

function createDenoiser(config: RpgConfig, tokenSize: number): DenoiserModule {
  if (config.denoiser === 'mlp') {
    return new MlpDenoiser({
      dim: tokenSize,
      conditionDim: config.dModel,
      hidden: config.mlpHidden,
      seed: config.seed,
    });
  }
  return new ConditionalUnet1d({
    tokenSize,
    conditionDim: config.dModel,
    channels: config.unetChannels,
    kernelSize: config.unetKernelSize,
    seed: config.seed,
  });
}

function checkTaskCode(code: string | readonly number[]): void {
  if (typeof code !== 'string') {
    if (code.length !== 10 || !code.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) {
      throw new RpgError(
        `a soft task code is 10 numbers in [0, 1] (value i: class i), got [${code.join(', ')}]`,
      );
    }
    return;
  }
  if (!/^[01]{10}$/.test(code)) {
    throw new RpgError(`a task code is 10 characters of 0 and 1 (bit i: class i), got "${code}"`);
  }
}

/** A task code as safetensors metadata: the code, or a soft code's values to 3 decimals. */
function describeTaskCode(code: string | readonly number[]): string {
  return typeof code === 'string' ? code : code.map((v) => v.toFixed(3)).join(',');
}

function modelSeeds(options: RpgGenerateOptions): number[] {
  const { count } = options;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(count) || count < 1 || count > SEED_STRIDE) {
    throw new RpgError(`count must be an integer in [1, ${SEED_STRIDE}], got ${count}`);
  }
  if (!Number.isSafeInteger(seed * SEED_STRIDE + count) || seed < 0) {
    throw new RpgError(`seed must be a non-negative integer below 2^37, got ${seed}`);
  }
  return Array.from({ length: count }, (_, i) => seed * SEED_STRIDE + i);
}
