import { join } from 'node:path';
import {
  type LoraConfig,
  type PeftAdapter,
  type StateDict,
  writePeftAdapter,
} from '@pgen/checkpoint-io';
import {
  DdpmScheduler,
  type DenoiserModule,
  MlpDenoiser,
  OneDimCnn,
  sample,
} from '@pgen/diffusion-core';
import { ParameterAutoencoder } from '@pgen/latent-ae';
import * as tf from '@tensorflow/tfjs-core';
import { adapterVectors, fitAdapterTokenizer, vectorToAdapter } from './adapter-vectors';
import { decodeLatents, encodeLatents, fitAutoencoder } from './autoencoder-fit';
import {
  autoencoderStageKey,
  type CondPdiffConfig,
  resolveCondPdiffConfig,
} from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import {
  type CondPdiffFitInfo,
  type CondPdiffParts,
  loadCondPdiffParts,
  saveCondPdiffParts,
} from './cond-pdiff-io';
import type {
  CondPdiffCondition,
  CondPdiffSample,
  CondPdiffTask,
  TaskExampleSource,
} from './cond-pdiff-task';
import { buildConditionEncoder, encodeGenerationCondition } from './condition-encoder';
import type { CondPdiffFitProgress } from './fit-phase';
import { fitLatentDiffusion } from './latent-diffusion-fit';
import { latentStatistics, standardizeLatents, unstandardizeLatents } from './latent-statistics';

/** The adapters and tasks a pipeline learns from. */
export interface CondPdiffFitInput {
  /** Training adapters (tensors under PEFT keys, all with the same names and shapes). */
  samples: readonly CondPdiffSample[];
  /** Every task the samples name, with its descriptor. */
  tasks: readonly CondPdiffTask[];
  /** The PEFT config generated adapters are written with (rank, alpha, target modules). */
  loraConfig: LoraConfig;
}

/** Callbacks and reuse options of {@link CondPdiffPipeline.fit}. */
export interface CondPdiffFitOptions {
  /** Labelled examples per task; required by the `examples` condition. */
  examples?: TaskExampleSource;
  /** Called after every optimiser step of either phase. */
  onProgress?: (progress: CondPdiffFitProgress) => void;
  /**
   * A pipeline fitted on the same adapters with the same autoencoder settings: its tokenizer and
   * autoencoder are copied and the autoencoder phase is skipped (the conditions of an
   * experiment can share one autoencoder, as they differ only in the latent diffusion).
   */
  autoencoderFrom?: CondPdiffPipeline;
}

/** Options of {@link CondPdiffPipeline.generate}. */
export interface CondPdiffGenerateOptions {
  condition: CondPdiffCondition;
  /** Adapters to generate (default 10). */
  count?: number;
  /** Seed of the sampling noise (default 0); adapter i uses noise stream i. */
  seed?: number;
  /** DDIM steps (default: the config's `samplingSteps`). */
  steps?: number;
}

/**
 * COND P-DIFF: a p-diff autoencoder compresses normalised LoRA adapters into latents; a latent
 * diffusion model conditioned through a task encoder (a task descriptor, a learned task
 * embedding, or a set of labelled examples) generates new latents, and the decoder turns them
 * back into PEFT adapters.
 */
export class CondPdiffPipeline {
  private constructor(readonly parts: CondPdiffParts) {}

  get config(): CondPdiffConfig {
    return this.parts.config;
  }

  get tasks(): readonly CondPdiffTask[] {
    return this.parts.tasks;
  }

  /**
   * Fits the pipeline: the autoencoder on the normalised adapters (with p-diff's input and
   * latent noise), then the latent denoiser and task encoder jointly on the standardised latents
   * of the training adapters.
   */
  static async fit(
    input: CondPdiffFitInput,
    options: Partial<CondPdiffConfig> = {},
    callbacks: CondPdiffFitOptions = {},
  ): Promise<CondPdiffPipeline> {
    const config = resolveCondPdiffConfig(options);
    const { samples, loraConfig } = input;
    const tasks = input.tasks.map((t) => ({ name: t.name, descriptor: [...t.descriptor] }));
    const taskOf = indexTasks(samples, tasks, config);
    if (config.condition === 'examples' && !callbacks.examples) {
      throw new CondPdiffError('condition examples needs a source of labelled examples per task');
    }
    const adapters = samples.map((s) => s.tensors);
    const names = samples.map((s, i) => `adapter ${i} (${s.task})`);
    const from = callbacks.autoencoderFrom;
    if (from && autoencoderStageKey(from.config) !== autoencoderStageKey(config)) {
      throw new CondPdiffError(
        'autoencoderFrom was fitted with other autoencoder settings; it cannot be shared',
      );
    }
    if (from && from.tasks.map((t) => t.name).join() !== tasks.map((t) => t.name).join()) {
      throw new CondPdiffError(
        'autoencoderFrom was fitted on other tasks (another held-out set); it cannot be shared',
      );
    }
    const tokenizer = from ? from.parts.tokenizer : fitAdapterTokenizer(adapters);
    const vectors = adapterVectors(tokenizer, adapters, names);
    const started = Date.now();
    let autoencoder: ParameterAutoencoder;
    let aeLoss: number;
    if (from) {
      autoencoder = new ParameterAutoencoder(from.parts.autoencoder.config);
      autoencoder.loadStateDict(await from.parts.autoencoder.stateDict());
      autoencoder.eval();
      aeLoss = from.parts.fitInfo?.finalLoss.autoencoder ?? Number.NaN;
    } else {
      const fitted = await fitAutoencoder(vectors, samples.length, config, callbacks.onProgress);
      autoencoder = fitted.autoencoder;
      aeLoss = fitted.finalLoss;
    }
    const aeSeconds = from ? 0 : (Date.now() - started) / 1000;
    const raw = await encodeLatents(autoencoder, vectors, samples.length);
    const stats = latentStatistics(raw, samples.length);
    const encoder = buildConditionEncoder(config, tasks);
    const denoiser = createLatentDenoiser(config);
    const scheduler = new DdpmScheduler({
      numTrainTimesteps: config.numTrainTimesteps,
      predictionType: config.predictionType,
      clipSample: true,
      // Standardised latents: ±5 bounds every plausible value and stops an early-step blow-up.
      clipSampleRange: 5,
    });
    const pipeline = new CondPdiffPipeline({
      config,
      tokenizer,
      autoencoder,
      encoder,
      denoiser,
      scheduler,
      latentStatistics: stats,
      tasks,
      loraConfig,
    });
    try {
      const diffusionStarted = Date.now();
      const diffusionLoss = await fitLatentDiffusion(
        {
          denoiser,
          encoder,
          scheduler,
          latents: standardizeLatents(raw, stats),
          taskOf,
          tasks,
          examples: callbacks.examples,
        },
        config,
        callbacks.onProgress,
      );
      const info: CondPdiffFitInfo = {
        seconds: { autoencoder: aeSeconds, diffusion: (Date.now() - diffusionStarted) / 1000 },
        finalLoss: { autoencoder: aeLoss, diffusion: diffusionLoss },
        adapters: samples.length,
        backend: tf.getBackend(),
      };
      pipeline.parts.fitInfo = info;
    } catch (error) {
      pipeline.dispose();
      throw error;
    }
    return pipeline;
  }

  /** Loads what {@link CondPdiffPipeline.save} wrote. */
  static async load(dir: string): Promise<CondPdiffPipeline> {
    return new CondPdiffPipeline(await loadCondPdiffParts(dir));
  }

  /** Saves the pipeline as one folder (see `saveCondPdiffParts` for its files). */
  async save(dir: string): Promise<void> {
    await saveCondPdiffParts(dir, this.parts);
  }

  /** Generates `count` adapters for one condition, in memory. */
  async generateAdapters(options: CondPdiffGenerateOptions): Promise<PeftAdapter[]> {
    const { config, autoencoder, encoder, tasks } = this.parts;
    const count = options.count ?? 10;
    if (!Number.isInteger(count) || count < 1) {
      throw new CondPdiffError(`count must be a positive integer, got ${count}`);
    }
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new CondPdiffError(`seed must be a non-negative integer, got ${seed}`);
    }
    const row = encodeGenerationCondition(encoder, config, tasks, options.condition);
    const condition = tf.tile(row, [count, 1]);
    row.dispose();
    let standardized: Float32Array;
    try {
      const latents = await sample({
        scheduler: this.parts.scheduler,
        model: (x, t, c) => this.parts.denoiser.forward(x, t, c),
        shape: [count, config.latentDim],
        condition,
        sampler: 'ddim',
        steps: options.steps ?? config.samplingSteps,
        seed,
      });
      standardized = (await latents.data()) as Float32Array;
      latents.dispose();
    } finally {
      condition.dispose();
    }
    const z = unstandardizeLatents(standardized, this.parts.latentStatistics);
    const vectors = await decodeLatents(autoencoder, z, count);
    return this.toAdapters(vectors, count);
  }

  /**
   * Writes `count` generated adapters as PEFT folders `outDir/adapter-XXXX/` (what
   * `PeftModel.from_pretrained` loads), each with the condition in its safetensors metadata.
   * Returns the folders.
   */
  async generate(outDir: string, options: CondPdiffGenerateOptions): Promise<string[]> {
    const adapters = await this.generateAdapters(options);
    const metadata = conditionMetadata(options.condition);
    const dirs: string[] = [];
    for (const [i, adapter] of adapters.entries()) {
      const dir = join(outDir, `adapter-${String(i).padStart(4, '0')}`);
      await writePeftAdapter(dir, adapter, {
        metadata: { ...metadata, 'pgen.seed': String(options.seed ?? 0), 'pgen.index': String(i) },
      });
      dirs.push(dir);
    }
    return dirs;
  }

  /**
   * The autoencoder alone: each adapter encoded to its latent mean and decoded (no diffusion),
   * p-diff's measure of what the latent space can hold.
   */
  async reconstruct(adapters: readonly StateDict[]): Promise<PeftAdapter[]> {
    const vectors = adapterVectors(this.parts.tokenizer, adapters);
    const z = await encodeLatents(this.parts.autoencoder, vectors, adapters.length);
    const decoded = await decodeLatents(this.parts.autoencoder, z, adapters.length);
    return this.toAdapters(decoded, adapters.length);
  }

  /** Frees the tfjs weights. */
  dispose(): void {
    this.parts.autoencoder.dispose();
    this.parts.encoder.dispose();
    this.parts.denoiser.dispose();
  }

  private toAdapters(vectors: Float32Array, count: number): PeftAdapter[] {
    const width = vectors.length / count;
    return Array.from({ length: count }, (_, i) =>
      vectorToAdapter(
        this.parts.tokenizer,
        vectors.slice(i * width, (i + 1) * width),
        this.parts.loraConfig,
      ),
    );
  }
}

function createLatentDenoiser(config: CondPdiffConfig): DenoiserModule {
  if (config.denoiser === 'cnn') {
    return new OneDimCnn({
      dim: config.latentDim,
      conditionDim: config.conditionDim,
      channels: [1, 32, 64, 32, 1],
      seed: config.seed,
    });
  }
  return new MlpDenoiser({
    dim: config.latentDim,
    conditionDim: config.conditionDim,
    hidden: config.denoiserHidden,
    depth: config.denoiserDepth,
    seed: config.seed,
  });
}

/** Each sample's task index; refuses unknown tasks, duplicates and mixed descriptor widths. */
function indexTasks(
  samples: readonly CondPdiffSample[],
  tasks: readonly CondPdiffTask[],
  config: CondPdiffConfig,
): Int32Array {
  if (samples.length === 0) throw new CondPdiffError('no adapters to fit');
  if (tasks.length === 0) throw new CondPdiffError('no tasks given');
  const index = new Map<string, number>();
  const width = tasks[0]!.descriptor.length;
  tasks.forEach((task, i) => {
    if (index.has(task.name)) throw new CondPdiffError(`task "${task.name}" is listed twice`);
    index.set(task.name, i);
    if (config.condition === 'descriptor') {
      if (
        width === 0 ||
        task.descriptor.length !== width ||
        !task.descriptor.every(Number.isFinite)
      ) {
        throw new CondPdiffError(
          `task "${task.name}": the descriptor condition needs ${width || 'one or more'} finite value(s) per task, got [${task.descriptor.join(', ')}]`,
        );
      }
    }
  });
  return Int32Array.from(samples, (s, i) => {
    const t = index.get(s.task);
    if (t === undefined) throw new CondPdiffError(`adapter ${i} names unknown task "${s.task}"`);
    return t;
  });
}

/** The condition as safetensors metadata strings (examples are summarised, not stored). */
function conditionMetadata(condition: CondPdiffCondition): Record<string, string> {
  const out: Record<string, string> = { 'pgen.generator': 'cond-pdiff' };
  if (condition.task !== undefined) out['pgen.task'] = condition.task;
  if (condition.descriptor) out['pgen.condition.descriptor'] = condition.descriptor.join(',');
  if (condition.examples) out['pgen.condition.examples'] = String(condition.examples.labels.length);
  return out;
}
