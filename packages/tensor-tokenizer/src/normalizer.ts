import { ElementMoments } from './element-moments';
import type { NormalizationMode } from './options';
import { RunningMoments } from './running-moments';

/** The fitted normalisation of one tensor (all numbers float64). */
export interface TensorNormalization {
  mode: NormalizationMode;
  /** Mean of `x` (`'zscore'`) or of `ln(x / logScale + logOffset)` (`'log-zscore'`); 0 for `'none'`. */
  mean: number;
  /** Standard deviation matching `mean`, never 0; 1 for `'none'`. */
  std: number;
  /** Zoo mean of `x` for `'log-zscore'`, else 1. */
  logScale: number;
  /** Added before the log for `'log-zscore'`, else 0. */
  logOffset: number;
  /** `'element-zscore'` only: the zoo mean of each element, in the tensor's row-major order. */
  elementMean?: Float64Array;
  /** `'element-zscore'` only: the zoo std of each element, never 0. */
  elementStd?: Float64Array;
}

export const IDENTITY_NORMALIZATION: TensorNormalization = {
  mode: 'none',
  mean: 0,
  std: 1,
  logScale: 1,
  logOffset: 0,
};

/**
 * A standard deviation that is zero, or zero up to rounding of the mean, would blow a
 * constant tensor up to noise; 1 keeps it at exactly 0 in token space and exact on decode.
 */
function usableStd(std: number, mean: number): number {
  return Number.isFinite(std) && std > 0 && std > 1e-12 * Math.abs(mean) ? std : 1;
}

/**
 * Accumulates one tensor's statistics over a zoo, checkpoint by checkpoint.
 * `'log-zscore'` needs the zoo mean before it can take logs, so it keeps a float64 copy of
 * that tensor's values (BatchNorm statistics: a few thousand values per checkpoint).
 */
export class NormalizationStatistics {
  private readonly moments = new RunningMoments();
  private readonly elements = new ElementMoments();
  private readonly logValues: Float64Array[] = [];

  constructor(
    readonly mode: NormalizationMode,
    readonly logOffset: number,
  ) {}

  add(values: ArrayLike<number>): void {
    if (this.mode === 'zscore') this.moments.add(values);
    else if (this.mode === 'element-zscore') {
      this.moments.add(values);
      this.elements.add(values);
    } else if (this.mode === 'log-zscore') this.logValues.push(Float64Array.from(values));
  }

  finish(): TensorNormalization {
    if (this.mode === 'none') return { ...IDENTITY_NORMALIZATION };
    if (this.mode === 'zscore') {
      const { mean } = this.moments;
      return {
        mode: 'zscore',
        mean,
        std: usableStd(this.moments.std, mean),
        logScale: 1,
        logOffset: 0,
      };
    }
    if (this.mode === 'element-zscore') return this.finishElements();
    const raw = new RunningMoments();
    for (const values of this.logValues) raw.add(values);
    const logScale = raw.mean > 0 ? raw.mean : 1;
    const offset = this.logOffset;
    const logged = new RunningMoments();
    for (const values of this.logValues) logged.add(values, (x) => Math.log(x / logScale + offset));
    const mean = logged.mean;
    return {
      mode: 'log-zscore',
      mean,
      std: usableStd(logged.std, mean),
      logScale,
      logOffset: offset,
    };
  }

  /**
   * An element that never changes across the zoo gets the tensor's std: generated noise there
   * is then no larger than per-tensor z-scoring would give, rather than blown up to 1.
   */
  private finishElements(): TensorNormalization {
    const { mean } = this.moments;
    const tensorStd = usableStd(this.moments.std, mean);
    const elementMean = this.elements.mean;
    const elementStd = this.elements.std;
    for (let i = 0; i < elementStd.length; i++) {
      const std = elementStd[i]!;
      if (!(std > 0 && std > 1e-12 * Math.abs(elementMean[i]!))) elementStd[i] = tensorStd;
    }
    return {
      mode: 'element-zscore',
      mean,
      std: tensorStd,
      logScale: 1,
      logOffset: 0,
      elementMean,
      elementStd,
    };
  }
}

function elementStatistics(norm: TensorNormalization): {
  elementMean: Float64Array;
  elementStd: Float64Array;
} {
  const { elementMean, elementStd } = norm;
  if (!elementMean || !elementStd) {
    throw new TypeError("an 'element-zscore' normalisation needs elementMean and elementStd");
  }
  return { elementMean, elementStd };
}

/** Index of the first value the mode cannot take (a negative value for `'log-zscore'`), or -1. */
export function firstInvalidValue(mode: NormalizationMode, values: ArrayLike<number>): number {
  if (mode !== 'log-zscore') return -1;
  for (let i = 0; i < values.length; i++) if (values[i]! < 0) return i;
  return -1;
}

/** Writes `count` normalised values of `src` (from `srcStart`) into `dst` (from `dstStart`). */
export function normalizeInto(
  norm: TensorNormalization,
  src: ArrayLike<number>,
  srcStart: number,
  dst: Float32Array,
  dstStart: number,
  count: number,
): void {
  const { mean, std } = norm;
  if (norm.mode === 'none') {
    if (src instanceof Float32Array) dst.set(src.subarray(srcStart, srcStart + count), dstStart);
    else for (let i = 0; i < count; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else if (norm.mode === 'zscore') {
    const inv = 1 / std;
    for (let i = 0; i < count; i++) dst[dstStart + i] = (src[srcStart + i]! - mean) * inv;
  } else if (norm.mode === 'element-zscore') {
    // `src` is the whole tensor, so srcStart + i is also the element's index.
    const { elementMean, elementStd } = elementStatistics(norm);
    for (let i = 0; i < count; i++) {
      const e = srcStart + i;
      dst[dstStart + i] = (src[e]! - elementMean[e]!) / elementStd[e]!;
    }
  } else {
    const { logScale, logOffset } = norm;
    for (let i = 0; i < count; i++) {
      const u = Math.log(src[srcStart + i]! / logScale + logOffset);
      dst[dstStart + i] = (u - mean) / std;
    }
  }
}

/**
 * Inverse of `normalizeInto`. `positiveFloor` is what `'log-zscore'` gives where the inverse
 * would not be positive (generated tokens can land there; encoded zeros do too).
 */
export function denormalizeInto(
  norm: TensorNormalization,
  src: Float32Array,
  srcStart: number,
  dst: Float32Array | Float64Array,
  dstStart: number,
  count: number,
  positiveFloor: number,
): void {
  const { mean, std } = norm;
  if (norm.mode === 'none') {
    if (dst instanceof Float32Array) dst.set(src.subarray(srcStart, srcStart + count), dstStart);
    else for (let i = 0; i < count; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else if (norm.mode === 'zscore') {
    for (let i = 0; i < count; i++) dst[dstStart + i] = src[srcStart + i]! * std + mean;
  } else if (norm.mode === 'element-zscore') {
    // `dst` is the whole tensor, so dstStart + i is also the element's index.
    const { elementMean, elementStd } = elementStatistics(norm);
    for (let i = 0; i < count; i++) {
      const e = dstStart + i;
      dst[e] = src[srcStart + i]! * elementStd[e]! + elementMean[e]!;
    }
  } else {
    const { logScale, logOffset } = norm;
    for (let i = 0; i < count; i++) {
      const x = (Math.exp(src[srcStart + i]! * std + mean) - logOffset) * logScale;
      dst[dstStart + i] = Math.max(x, positiveFloor);
    }
  }
}
