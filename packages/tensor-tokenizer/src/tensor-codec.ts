import type { TensorData } from '@pgen/checkpoint-io';
import {
  formatShape,
  NegativeValueError,
  NonFiniteValueError,
  StateDictMismatchError,
} from './errors';
import type { LayoutEntry } from './layout';
import {
  denormalizeInto,
  firstInvalidValue,
  normalizeInto,
  type TensorNormalization,
} from './normalizer';
import {
  decodeBuffer,
  firstNonFinite,
  smallestPositive,
  tensorFromValues,
  tensorValues,
} from './value-codec';

/** Checks that `tensor` is what the layout expects for `entry`; `context` names the source. */
export function assertMatchesEntry(entry: LayoutEntry, tensor: TensorData, context: string): void {
  const sameShape =
    tensor.shape.length === entry.shape.length &&
    tensor.shape.every((d, i) => d === entry.shape[i]);
  if (!sameShape || tensor.dtype !== entry.dtype) {
    throw new StateDictMismatchError(
      `${context}: tensor "${entry.name}" is ${tensor.dtype} ${formatShape(tensor.shape)}, ` +
        `the tokenizer was fitted on ${entry.dtype} ${formatShape(entry.shape)}`,
    );
  }
}

/** Throws `NonFiniteValueError` naming the tensor and element when `values` hold NaN or ±Inf. */
export function assertFinite(values: ArrayLike<number>, name: string, context: string): void {
  const at = firstNonFinite(values);
  if (at >= 0) {
    throw new NonFiniteValueError(
      `${context}: tensor "${name}" holds ${values[at]} at element ${at}; ` +
        'checkpoints with NaN or Infinity cannot be tokenized',
    );
  }
}

/** Throws `NegativeValueError` when `values` cannot be log-normalised. */
export function assertNormalizable(
  mode: TensorNormalization['mode'],
  values: ArrayLike<number>,
  name: string,
  context: string,
): void {
  const at = firstInvalidValue(mode, values);
  if (at >= 0) {
    throw new NegativeValueError(
      `${context}: tensor "${name}" holds ${values[at]} at element ${at}, but it is ` +
        `log-normalised (as a BatchNorm running_var), which needs values >= 0; ` +
        'exclude it from `logTransform`',
    );
  }
}

/**
 * Writes the normalised values of `tensor` into `target`, a token buffer whose first value is
 * token `baseToken`. Padding positions are left as they are.
 */
export function encodeTensorInto(
  entry: LayoutEntry,
  norm: TensorNormalization,
  tensor: TensorData,
  target: Float32Array,
  baseToken: number,
  tokenSize: number,
  context: string,
): void {
  assertMatchesEntry(entry, tensor, context);
  const values = tensorValues(tensor);
  assertFinite(values, entry.name, context);
  assertNormalizable(norm.mode, values, entry.name, context);
  const base = entry.valueOffset - baseToken * tokenSize;
  for (let r = 0; r < entry.rows; r++) {
    const src = r * entry.rowLength;
    normalizeInto(norm, values, src, target, base + r * entry.rowStride, entry.rowLength);
  }
}

/**
 * One tensor being decoded from tokens that arrive in pieces: `fill` with any run of
 * consecutive tokens (values outside this tensor are ignored), `finish` once all have come.
 * Only the tensor's own values are held, never the tokens.
 */
export class TensorAssembler {
  private readonly values: Float32Array | Float64Array;
  private readonly floor: number;

  constructor(
    readonly entry: LayoutEntry,
    private readonly norm: TensorNormalization,
  ) {
    this.values = decodeBuffer(entry.dtype, entry.numel);
    this.floor = smallestPositive(entry.dtype);
  }

  /** Decodes the values of this tensor that `src` holds; `src[0]` is global value `srcFirst`. */
  fill(src: Float32Array, srcFirst: number): void {
    const { rows, rowLength, rowStride, valueOffset } = this.entry;
    if (rowLength === 0) return;
    const srcEnd = srcFirst + src.length;
    const firstRow = Math.max(0, Math.floor((srcFirst - valueOffset) / rowStride));
    for (let r = firstRow; r < rows; r++) {
      const rowStart = valueOffset + r * rowStride;
      if (rowStart >= srcEnd) break;
      const lo = Math.max(rowStart, srcFirst);
      const hi = Math.min(rowStart + rowLength, srcEnd);
      if (lo >= hi) continue;
      const dst = r * rowLength + (lo - rowStart);
      denormalizeInto(this.norm, src, lo - srcFirst, this.values, dst, hi - lo, this.floor);
    }
  }

  finish(): TensorData {
    return tensorFromValues(this.values, this.entry.shape, this.entry.dtype);
  }
}
