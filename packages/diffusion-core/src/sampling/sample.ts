import { fill, mul, slice, type Tensor, tensor, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import { shapeSize } from '../random/generator';
import { DdimScheduler } from '../schedulers/ddim-scheduler';
import {
  convertScheduler,
  type SamplerKind,
  type Scheduler,
} from '../schedulers/scheduler-registry';
import type { Denoiser } from '../training/denoiser';
import { RowNoise } from './row-noise';

/** Where a sampling job is; passed to `onProgress` after every denoising step. */
export interface SampleProgress {
  /** Index of the chunk being denoised (0-based) and the number of chunks. */
  chunk: number;
  chunks: number;
  /** Steps done in this chunk (1-based) and steps per chunk. */
  step: number;
  steps: number;
  /** Rows finished before this chunk, and rows in all. */
  rowsDone: number;
  totalRows: number;
  /** Fraction of all denoising work done, in (0, 1]. */
  fraction: number;
}

/** Options of {@link sample} and {@link sampleChunks}. */
export interface SampleOptions {
  /**
   * The noise schedule and prediction settings the model was trained with. It is not changed:
   * sampling works on a copy (converted to `sampler`'s kind if needed).
   */
  scheduler: Scheduler;
  /** The denoiser; called with (x_t, t, condition) for every step of every chunk. */
  model: Denoiser;
  /** Shape of the whole result, [n, …]: n vectors (rows) of shape […]. */
  shape: readonly number[];
  /**
   * The condition of each row: a tensor [n, …] (sliced per chunk), or a function returning the
   * condition of rows [start, end) (called once per chunk; the sampler disposes what it returns),
   * so a large condition need not exist at once. Default: none.
   */
  condition?: Tensor | ((start: number, end: number) => Tensor);
  /** Denoising steps: default T (every training timestep) for DDPM, 50 for DDIM. */
  steps?: number;
  /** `ddpm` (ancestral) or `ddim`; default: the kind of `scheduler`. */
  sampler?: SamplerKind;
  /** DDIM's η in [0, 1] (default 0, deterministic); only with the `ddim` sampler. */
  eta?: number;
  /** Seed of all the noise (default 0). Row r always uses stream r of it. */
  seed?: number;
  /** Rows denoised at once (default 256); memory grows with this, not with n. */
  chunkSize?: number;
  /** Called after every step of every chunk. */
  onProgress?: (progress: SampleProgress) => void;
}

/** One finished chunk of {@link sampleChunks}: rows [start, end) of the result. */
export interface SampleChunk {
  start: number;
  end: number;
  /** The denoised rows, [end − start, …]; the caller owns (and must dispose) this tensor. */
  samples: Tensor;
}

/**
 * Runs the reverse process on `shape[0]` rows, `chunkSize` rows at a time, yielding each chunk
 * as soon as it is denoised, so that tfjs memory stays that of one chunk however many rows are
 * sampled. Row r's result depends only on (seed, r), not on the chunk size.
 */
export async function* sampleChunks(options: SampleOptions): AsyncGenerator<SampleChunk> {
  const plan = planSampling(options);
  const { scheduler, rowShape, total, chunkSize, chunks, eta, seed } = plan;
  const timesteps = Array.from(scheduler.timesteps);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const start = chunk * chunkSize;
    const end = Math.min(start + chunkSize, total);
    const rows = end - start;
    const condition = chunkCondition(options.condition, start, end, total);
    const noise = new RowNoise(seed, start, rows);
    let x = tidy(() => mul(noise.randn([rows, ...rowShape]), scheduler.initNoiseSigma));
    try {
      for (let i = 0; i < timesteps.length; i++) {
        const t = timesteps[i] as number;
        const next = tidy(() => {
          const input = scheduler.scaleModelInput(x, t);
          const output = options.model(input, fill([rows], t, 'int32'), condition);
          const result =
            scheduler instanceof DdimScheduler
              ? scheduler.step(output, t, x, noise, { eta })
              : scheduler.step(output, t, x, noise);
          return result.prevSample;
        });
        x.dispose();
        x = next;
        options.onProgress?.({
          chunk,
          chunks,
          step: i + 1,
          steps: timesteps.length,
          rowsDone: start,
          totalRows: total,
          fraction: (chunk * timesteps.length + i + 1) / (chunks * timesteps.length),
        });
      }
    } catch (error) {
      x.dispose();
      throw error;
    } finally {
      condition?.dispose();
    }
    yield { start, end, samples: x };
  }
}

/**
 * Samples `shape[0]` vectors (see {@link sampleChunks}) and returns them as one tensor of
 * `shape`, owned by the caller. Each chunk is copied out to JavaScript memory as it finishes,
 * so tfjs holds one chunk's working set while sampling and the result only at the end.
 */
export async function sample(options: SampleOptions): Promise<Tensor> {
  const { total, rowShape } = planSampling(options);
  const perRow = shapeSize(rowShape);
  const out = new Float32Array(total * perRow);
  for await (const chunk of sampleChunks(options)) {
    try {
      out.set(await chunk.samples.data(), chunk.start * perRow);
    } finally {
      chunk.samples.dispose();
    }
  }
  return tensor(out, [total, ...rowShape], 'float32');
}

interface SamplingPlan {
  scheduler: Scheduler;
  rowShape: number[];
  total: number;
  chunkSize: number;
  chunks: number;
  eta: number;
  seed: number;
}

function planSampling(options: SampleOptions): SamplingPlan {
  const [total, ...rowShape] = options.shape;
  if (total === undefined || !Number.isInteger(total) || total < 1) {
    throw new DiffusionInputError(
      `shape must start with the number of rows (≥ 1), got [${options.shape.join(', ')}]`,
    );
  }
  shapeSize(rowShape);
  const chunkSize = options.chunkSize ?? 256;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new DiffusionInputError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const kind: SamplerKind =
    options.sampler ?? (options.scheduler instanceof DdimScheduler ? 'ddim' : 'ddpm');
  if (kind !== 'ddpm' && kind !== 'ddim') {
    throw new DiffusionInputError(`unknown sampler ${JSON.stringify(kind)}; use ddpm or ddim`);
  }
  const eta = options.eta ?? 0;
  if (kind === 'ddpm' && eta !== 0) {
    throw new DiffusionInputError('eta applies to the ddim sampler only');
  }
  if (!Number.isFinite(eta) || eta < 0 || eta > 1) {
    throw new DiffusionInputError(`eta must be in [0, 1], got ${eta}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new DiffusionInputError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  const scheduler = convertScheduler(options.scheduler, kind);
  scheduler.setTimesteps(options.steps ?? (kind === 'ddpm' ? scheduler.numTrainTimesteps : 50));
  if (options.condition !== undefined && typeof options.condition !== 'function') {
    if (options.condition.shape[0] !== total) {
      throw new DiffusionInputError(
        `condition has ${options.condition.shape[0]} rows but ${total} are sampled`,
      );
    }
  }
  return {
    scheduler,
    rowShape,
    total,
    chunkSize,
    chunks: Math.ceil(total / chunkSize),
    eta,
    seed,
  };
}

function chunkCondition(
  condition: SampleOptions['condition'],
  start: number,
  end: number,
  total: number,
): Tensor | undefined {
  if (condition === undefined) return undefined;
  if (typeof condition === 'function') {
    const part = condition(start, end);
    if (part.shape[0] !== end - start) {
      part.dispose();
      throw new DiffusionInputError(
        `condition(${start}, ${end}) returned ${part.shape[0]} rows, expected ${end - start}`,
      );
    }
    return part;
  }
  if (start === 0 && end === total) return condition.clone();
  return slice(condition, [start], [end - start]);
}
