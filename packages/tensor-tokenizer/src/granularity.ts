import { numel } from '@pgen/checkpoint-io';
import type { Granularity } from './options';

/**
 * How one tensor's values are cut into rows. Each row starts a new token (except in `'flat'`,
 * where the single row follows the previous tensor directly) and occupies `tokensPerRow`
 * tokens; the rest of its last token is padding.
 */
export interface RowSplit {
  rows: number;
  rowLength: number;
  tokensPerRow: number;
}

/** Values in one row of `shape` under `granularity` (see `Granularity`). */
export function rowLengthOf(granularity: Granularity, shape: readonly number[]): number {
  if (granularity === 'channel' && shape.length >= 2) {
    const rows = shape[0]!;
    return rows === 0 ? 0 : numel(shape) / rows;
  }
  return numel(shape);
}

export function splitRows(
  granularity: Granularity,
  shape: readonly number[],
  tokenSize: number,
): RowSplit {
  const rowLength = rowLengthOf(granularity, shape);
  const rows = granularity === 'channel' && shape.length >= 2 ? shape[0]! : 1;
  return { rows, rowLength, tokensPerRow: Math.ceil(rowLength / tokenSize) };
}

/** The token width `'channel'` uses when none is given: the longest row, so each row is one token. */
export function longestRow(granularity: Granularity, shapes: Iterable<readonly number[]>): number {
  let longest = 1;
  for (const shape of shapes) longest = Math.max(longest, rowLengthOf(granularity, shape));
  return longest;
}
