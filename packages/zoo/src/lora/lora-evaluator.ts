import {
  mergeLoraAdapter,
  type PeftAdapter,
  readPeftAdapter,
  type StateDict,
} from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import { ZooError } from '../errors';
import { headMnist, type MnistData } from '../mnist/mnist-data';
import { rotateMnist } from '../mnist/rotate-mnist';
import { loadMnistSplits } from '../mnist/split-mnist';
import { MnistVit, type VitOptions } from '../models/vit';
import { evaluateAccuracy } from '../train/evaluate';
import { readLoraZoo } from './lora-zoo-manifest';

/** Options of `LoraEvaluator`. */
export interface LoraEvaluatorOptions {
  /** Sizes of the base ViT (default `MnistVit`'s). */
  vit?: Omit<VitOptions, 'rng'>;
  /** The upright test split (default: `loadMnistSplits({ seed: splitSeed }).test`). */
  test?: MnistData;
  /** Seed of the default split (default 0). */
  splitSeed?: number;
  /** Evaluate on the first `testLimit` test images only (default all). */
  testLimit?: number;
  /** Rotated test splits kept in memory, most recently used first (default 4). */
  cachedAngles?: number;
  /** Images per forward pass (default 250). */
  batchSize?: number;
  /** Named in errors about the base weights (default `<base>`). */
  baseSource?: string;
}

/**
 * Measures LoRA adapters on rotation tasks: merges an adapter into the base weights (PEFT's
 * W + alpha/r·B·A, `mergeLoraAdapter`) and returns the accuracy on the test split rotated by the
 * task's angle. The ViT is built once; each call loads only the merged tensors (and restores
 * those the previous adapter changed), so a thousand evaluations cost little beyond the forward
 * passes. Call `dispose` when done.
 */
export class LoraEvaluator {
  private readonly model: MnistVit;
  private readonly test: MnistData;
  private readonly rotated = new Map<number, MnistData>();
  private readonly cachedAngles: number;
  private readonly batchSize: number | undefined;
  /** Keys of tensors currently holding merged (non-base) values. */
  private changed = new Set<string>();

  private constructor(
    readonly base: StateDict,
    test: MnistData,
    options: LoraEvaluatorOptions,
  ) {
    this.model = new MnistVit({ ...options.vit, rng: new Rng(0) });
    const source = options.baseSource ?? '<base>';
    try {
      this.model.loadStateDict(base, { source });
    } catch (error) {
      this.model.dispose();
      throw new ZooError(
        `${source}: base weights do not fit a ViT of these sizes (${(error as Error).message})`,
        { cause: error },
      );
    }
    this.model.eval();
    const limit = options.testLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new ZooError(`testLimit must be a positive integer, got ${limit}`);
    }
    this.test = limit !== undefined && limit < test.count ? headMnist(test, limit) : test;
    this.cachedAngles = Math.max(1, options.cachedAngles ?? 4);
    this.batchSize = options.batchSize;
  }

  /** An evaluator over `base` (a state dict of an `MnistVit` with `options.vit` sizes). */
  static async create(base: StateDict, options: LoraEvaluatorOptions = {}): Promise<LoraEvaluator> {
    const test = options.test ?? (await loadMnistSplits({ seed: options.splitSeed ?? 0 })).test;
    return new LoraEvaluator(base, test, options);
  }

  /** Images evaluated per call (the test split, or its first `testLimit`). */
  get testCount(): number {
    return this.test.count;
  }

  /** The test split rotated counter-clockwise by `angle` degrees (cached). */
  rotatedTest(angle: number): MnistData {
    let data = this.rotated.get(angle);
    if (data) {
      this.rotated.delete(angle);
    } else {
      data = rotateMnist(this.test, angle);
      if (this.rotated.size >= this.cachedAngles) {
        this.rotated.delete(this.rotated.keys().next().value!);
      }
    }
    this.rotated.set(angle, data);
    return data;
  }

  /**
   * Accuracy on the test split rotated by `angle` degrees of the base with `adapter` merged in:
   * a `PeftAdapter`, a PEFT adapter folder, or `null` for the base alone.
   */
  async accuracy(adapter: PeftAdapter | string | null, angle: number): Promise<number> {
    const loaded = typeof adapter === 'string' ? await readPeftAdapter(adapter) : adapter;
    this.load(loaded, typeof adapter === 'string' ? adapter : '<adapter>');
    const { accuracy } = await evaluateAccuracy(
      this.model,
      this.rotatedTest(angle),
      this.batchSize === undefined ? {} : { batchSize: this.batchSize },
    );
    return accuracy;
  }

  private load(adapter: PeftAdapter | null, source: string): void {
    let merged: StateDict = this.base;
    if (adapter) {
      try {
        merged = mergeLoraAdapter(this.base, adapter);
      } catch (error) {
        throw new ZooError(`${source}: cannot merge into the base (${(error as Error).message})`, {
          cause: error,
        });
      }
    }
    const now = new Set([...merged].filter(([k, t]) => this.base.get(k) !== t).map(([k]) => k));
    const keys = new Set([...this.changed, ...now]);
    if (keys.size === 0) return;
    const partial: StateDict = new Map([...keys].map((k) => [k, merged.get(k)!]));
    this.model.loadStateDict(partial, { strict: false, source });
    this.changed = now;
  }

  /** Frees the model. */
  dispose(): void {
    this.model.dispose();
  }
}

/** Options of `loraTaskEvaluator`. */
export interface LoraTaskEvaluatorOptions {
  /** Evaluate on the first `testLimit` rotated test images only (default all 2,000). */
  testLimit?: number;
  /** The upright test split; needed for zoos collected on custom data. */
  test?: MnistData;
  /** Images per forward pass (default 250). */
  batchSize?: number;
}

/**
 * A `LoraEvaluator` for the adapters of a LoRA zoo (`collectLoraZoo`): its base, ViT sizes and
 * test split (the zoo's split seed), e.g.
 * `await ev.accuracy(zoo.adapterPath(task.adapters[0]), task.angle)`.
 */
export async function loraTaskEvaluator(
  zooDir: string,
  options: LoraTaskEvaluatorOptions = {},
): Promise<LoraEvaluator> {
  const zoo = await readLoraZoo(zooDir);
  const { manifest } = zoo;
  if (!options.test && manifest.dataset.startsWith('custom')) {
    throw new ZooError(
      `${zooDir}: collected on custom data (${manifest.dataset}); pass its test split as options.test`,
    );
  }
  return LoraEvaluator.create(await zoo.loadBase(), {
    vit: manifest.vit,
    splitSeed: manifest.splitSeed,
    baseSource: `${zooDir}/${manifest.base.file}`,
    ...(options.test ? { test: options.test } : {}),
    ...(options.testLimit !== undefined ? { testLimit: options.testLimit } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
}

/**
 * One-off: the accuracy of `base` with `adapter` merged, on the test split rotated by `angle`.
 * Builds a model per call; use a `LoraEvaluator` to measure many adapters.
 */
export async function evaluateLoraAdapter(
  base: StateDict,
  adapter: PeftAdapter | string | null,
  angle: number,
  options: LoraEvaluatorOptions = {},
): Promise<number> {
  const evaluator = await LoraEvaluator.create(base, options);
  try {
    return await evaluator.accuracy(adapter, angle);
  } finally {
    evaluator.dispose();
  }
}
