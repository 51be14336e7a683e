import type { DType, StateDict, TensorData } from '@pgen/checkpoint-io';
import { describeCheckpoint, TokenizerConfigError } from './errors';
import { compileGlobs } from './glob';
import { longestRow } from './granularity';
import { NormalizationStatistics } from './normalizer';
import {
  DEFAULT_LOG_OFFSET,
  DEFAULT_LOG_TRANSFORM,
  DEFAULT_TOKEN_SIZE,
  type FitOptions,
  type NormalizationMode,
} from './options';
import { assertFinite, assertNormalizable } from './tensor-codec';
import { selectTensors } from './tensor-select';
import type { TokenizerSpec } from './tokenizer-spec';
import { tensorValues } from './value-codec';
import { assertSameSignature } from './zoo-signature';

function copyTensor(tensor: TensorData): TensorData {
  return { dtype: tensor.dtype, shape: [...tensor.shape], data: tensor.data.slice() } as TensorData;
}

/**
 * Fits a tokenizer one checkpoint at a time, so a zoo of large models never has to be in
 * memory at once: `add` each checkpoint, then `finish`. `TensorTokenizer.fit` wraps this.
 */
export class TokenizerFitter {
  /** Names, dtypes and shapes of the first checkpoint, which every other must match. */
  private reference: Map<string, { dtype: DType; shape: number[] }> | undefined;
  private generated: string[] = [];
  private keptAside: StateDict = new Map();
  private statistics = new Map<string, NormalizationStatistics>();
  private count = 0;

  constructor(private readonly options: FitOptions = {}) {
    const { tokenSize, logOffset } = options;
    if (tokenSize !== undefined && (!Number.isInteger(tokenSize) || tokenSize < 1)) {
      throw new TokenizerConfigError(`tokenSize must be a positive integer, got ${tokenSize}`);
    }
    if (logOffset !== undefined && !(logOffset > 0)) {
      throw new TokenizerConfigError(`logOffset must be > 0, got ${logOffset}`);
    }
  }

  /** Checkpoints added so far. */
  get checkpointCount(): number {
    return this.count;
  }

  /** Adds one checkpoint of the zoo; its tensors are read, not kept (except kept-aside ones of the first). */
  add(checkpoint: StateDict): void {
    const index = this.count;
    const name = this.options.checkpointNames?.[index];
    if (!this.reference) this.start(checkpoint);
    else
      assertSameSignature(
        this.reference,
        checkpoint,
        index,
        name,
        this.options.checkpointNames?.[0],
      );
    const context = describeCheckpoint(index, name);
    for (const tensorName of this.generated) {
      const values = tensorValues(checkpoint.get(tensorName)!);
      const statistics = this.statistics.get(tensorName)!;
      assertFinite(values, tensorName, context);
      assertNormalizable(statistics.mode, values, tensorName, context);
      statistics.add(values);
    }
    this.count++;
  }

  private start(first: StateDict): void {
    const { include, exclude, includeIntegers, minElements } = this.options;
    const selection = selectTensors(first, { include, exclude, includeIntegers, minElements });
    if (selection.generated.length === 0) {
      throw new TokenizerConfigError(
        `no tensor of ${describeCheckpoint(0, this.options.checkpointNames?.[0])} is selected ` +
          'for generation (check include/exclude/includeIntegers/minElements)',
      );
    }
    const isLog = compileGlobs(this.options.logTransform ?? DEFAULT_LOG_TRANSFORM);
    const isElementwise = compileGlobs(this.options.elementwise ?? []);
    const offset = this.options.logOffset ?? DEFAULT_LOG_OFFSET;
    for (const name of selection.generated) {
      const mode = this.modeFor(name, isLog, isElementwise);
      this.statistics.set(name, new NormalizationStatistics(mode, offset));
    }
    for (const name of selection.keptAside) this.keptAside.set(name, copyTensor(first.get(name)!));
    this.generated = selection.generated;
    this.reference = new Map(
      [...first].map(([name, t]) => [name, { dtype: t.dtype, shape: [...t.shape] }]),
    );
  }

  private modeFor(
    name: string,
    isLog: (name: string) => boolean,
    isElementwise: (name: string) => boolean,
  ): NormalizationMode {
    if ((this.options.normalization ?? 'zscore') === 'none') return 'none';
    if (isElementwise(name)) return 'element-zscore';
    return isLog(name) ? 'log-zscore' : 'zscore';
  }

  /** The fitted tokenizer's specification; throws when no checkpoint was added. */
  finish(): TokenizerSpec {
    const reference = this.reference;
    if (!reference) throw new TokenizerConfigError('cannot fit a tokenizer on an empty zoo');
    const granularity = this.options.granularity ?? 'layer';
    const shapes = this.generated.map((name) => reference.get(name)!.shape);
    const tokenSize =
      this.options.tokenSize ??
      (granularity === 'channel' ? longestRow(granularity, shapes) : DEFAULT_TOKEN_SIZE);
    return {
      granularity,
      tokenSize,
      padValue: this.options.padValue ?? 0,
      tensors: this.generated.map((name) => {
        const { dtype, shape } = reference.get(name)!;
        return {
          name,
          dtype,
          shape: [...shape],
          normalization: this.statistics.get(name)!.finish(),
        };
      }),
      keptAside: this.keptAside,
      order: [...reference.keys()],
    };
  }
}
