import { TokenizerConfigError } from './errors';

/** Row-major `[rows, dim]` float32 embeddings. */
export interface PositionEmbedding {
  data: Float32Array;
  shape: [number, number];
}

const BASE = 10000;

function assertEvenWidth(dim: number): void {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) {
    throw new TokenizerConfigError(
      `position embedding width must be an even integer >= 2, got ${dim}`,
    );
  }
}

/**
 * Writes the sinusoid of `position` over `width` channels from `offset`: channel `2k` is
 * `sin(position * BASE^(-2k/width))`, channel `2k+1` the matching cosine (the Transformer's
 * encoding). An odd `width` ends with a lone sine.
 */
function writeSinusoid(out: Float32Array, offset: number, width: number, position: number): void {
  for (let k = 0; 2 * k < width; k++) {
    const angle = position * BASE ** (-(2 * k) / width);
    out[offset + 2 * k] = Math.sin(angle);
    if (2 * k + 1 < width) out[offset + 2 * k + 1] = Math.cos(angle);
  }
}

/** Fixed 1-D sinusoidal embeddings `[positions.length, dim]` of the given positions. */
export function sinusoidal1d(positions: ArrayLike<number>, dim: number): PositionEmbedding {
  assertEvenWidth(dim);
  const data = new Float32Array(positions.length * dim);
  for (let i = 0; i < positions.length; i++) writeSinusoid(data, i * dim, dim, positions[i]!);
  return { data, shape: [positions.length, dim] };
}

/**
 * Fixed 2-D sinusoidal embeddings `[n, dim]`: the first `dim/2` channels encode `rows[i]` (the
 * tensor index of token i), the last `dim/2` encode `cols[i]` (its index inside the tensor),
 * each as in `sinusoidal1d`. Any even `dim` works.
 */
export function sinusoidal2d(
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  dim: number,
): PositionEmbedding {
  assertEvenWidth(dim);
  if (rows.length !== cols.length) {
    throw new TokenizerConfigError(
      `sinusoidal2d needs as many rows as columns, got ${rows.length} and ${cols.length}`,
    );
  }
  const half = dim / 2;
  const data = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) {
    writeSinusoid(data, i * dim, half, rows[i]!);
    writeSinusoid(data, i * dim + half, half, cols[i]!);
  }
  return { data, shape: [rows.length, dim] };
}
