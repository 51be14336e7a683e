import {
  broadcastTo,
  cast,
  div,
  greater,
  isNaN as isNaNOp,
  logicalNot,
  maximum,
  mul,
  reshape,
  type Scalar,
  scalar,
  square,
  sub,
  sum,
  type Tensor,
  tidy,
  where,
  zerosLike,
} from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';

/** Options of {@link maskedMseLoss}. */
export interface MaskedMseOptions {
  /**
   * One weight per batch row (a float tensor [batch]), e.g. from {@link minSnrWeights}: row i's
   * squared errors count `weights[i]` times. Default: all 1.
   */
  weights?: Tensor;
  /**
   * How squared errors are averaged: `elements` (default) divides their sum by the number of
   * valid elements in the whole batch; `rows` takes each row's mean over its own valid elements,
   * then the mean over rows that have any. With `rows` a mostly-padded row (RPG's token of a
   * 32-value bias among 1,024-value weight tokens) weighs as much as a full one, instead of
   * 32/1024 as much, so small tensors get learned at the pace of large ones.
   */
  reduction?: 'elements' | 'rows';
}

/**
 * Mean squared error over the positions `mask` marks valid, the loss RPG trains with: padding
 * positions (mask 0) are excluded from both the sum and the count, as RPG's NaN mask does.
 *
 * - `mask` is 1/true for data and 0/false for padding; bool or numeric. It has the shape of
 *   `pred` or a prefix of it ([batch, tokens] against [batch, tokens, dim]), and is broadcast
 *   over the remaining axes. Without a mask every element counts (a plain MSE).
 * - The result is Σ w·m·(pred − target)² / Σ m over all elements, a scalar.
 * - When every position is masked the loss is 0 (with zero gradient), not NaN, so a batch of
 *   pure padding contributes nothing; nothing needs a synchronous read, so this works inside
 *   `tf.variableGrads` on every backend.
 * - Padding values in `pred`/`target` may be anything, NaN included: they are replaced by 0
 *   before squaring, so they cannot leak into the loss or its gradient.
 */
export function maskedMseLoss(
  pred: Tensor,
  target: Tensor,
  mask?: Tensor,
  options: MaskedMseOptions = {},
): Scalar {
  checkShapes(pred, target, mask, options.weights);
  return tidy(() => {
    const valid = mask === undefined ? undefined : expandMask(mask, pred.shape);
    // Mask the difference, not its square: where() passes a zero gradient to masked entries,
    // and zero times a NaN pred would still be NaN if the square were taken first.
    let difference = sub(pred, target);
    if (valid !== undefined) difference = where(valid, difference, zerosLike(difference));
    let squared = square(difference);
    if (options.weights !== undefined) {
      const rowShape = [pred.shape[0] as number, ...new Array<number>(pred.rank - 1).fill(1)];
      squared = mul(squared, reshape(cast(options.weights, 'float32'), rowShape));
    }
    if (options.reduction === 'rows') return rowMean(squared, valid);
    const count = valid === undefined ? scalar(pred.size) : sum(cast(valid, 'float32'));
    return div(sum(squared), maximum(count, 1)) as Scalar;
  });
}

/**
 * Splits a tensor that marks padding with NaN (RPG's convention) into a bool mask (true where
 * the value is a number) and the values with NaN replaced by 0, ready to be noised and fed to
 * a model. Both tensors belong to the caller.
 */
export function nanPaddingMask(x: Tensor): { values: Tensor; mask: Tensor } {
  return tidy(() => {
    const padding = isNaNOp(x);
    return { values: where(padding, zerosLike(x), x), mask: logicalNot(padding) };
  });
}

/** Mean over rows of each row's mean over its valid elements; rows with none do not count. */
function rowMean(squared: Tensor, valid: Tensor | undefined): Scalar {
  const rows = squared.shape[0] as number;
  const flat = reshape(squared, [rows, -1]);
  const perRowCount =
    valid === undefined
      ? broadcastTo(scalar(flat.shape[1] as number), [rows])
      : sum(reshape(cast(valid, 'float32'), [rows, -1]), 1);
  const perRow = div(sum(flat, 1), maximum(perRowCount, 1));
  const rowsWithData = sum(cast(greater(perRowCount, 0), 'float32'));
  return div(sum(perRow), maximum(rowsWithData, 1)) as Scalar;
}

function expandMask(mask: Tensor, shape: number[]): Tensor {
  const bool = mask.dtype === 'bool' ? mask : cast(mask, 'bool');
  const padded = [...mask.shape, ...new Array<number>(shape.length - mask.rank).fill(1)];
  return broadcastTo(reshape(bool, padded), shape);
}

function checkShapes(pred: Tensor, target: Tensor, mask?: Tensor, weights?: Tensor): void {
  const shape = (t: Tensor) => `[${t.shape.join(', ')}]`;
  if (pred.rank !== target.rank || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new DiffusionInputError(
      `prediction has shape ${shape(pred)} but target has ${shape(target)}`,
    );
  }
  if (pred.rank === 0) throw new DiffusionInputError('loss inputs need a batch dimension');
  if (mask !== undefined) {
    const prefix = mask.rank <= pred.rank && mask.shape.every((d, i) => d === pred.shape[i]);
    if (!prefix) {
      throw new DiffusionInputError(
        `mask of shape ${shape(mask)} does not match the leading axes of ${shape(pred)}`,
      );
    }
  }
  if (weights !== undefined && (weights.rank !== 1 || weights.shape[0] !== pred.shape[0])) {
    throw new DiffusionInputError(
      `weights must have shape [${pred.shape[0]}] (one per row), got ${shape(weights)}`,
    );
  }
}
