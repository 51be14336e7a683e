import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import { Generator, shapeSize } from '../random/generator';
import type { NoiseSource } from '../random/noise-source';

/**
 * Noise for a block of rows in which row r (counted over the whole sampling job, from
 * `firstRow`) always draws from stream r of the seed. Every row's trajectory then depends only
 * on (seed, row), so sampling in chunks of any size gives the same vectors.
 */
export class RowNoise implements NoiseSource {
  private readonly generators: Generator[];

  constructor(seed: number, firstRow: number, rows: number) {
    const root = new Generator(seed);
    this.generators = Array.from({ length: rows }, (_, i) => root.fork(firstRow + i));
  }

  /** A float32 tensor [rows, …] whose row i comes from row i's own stream. */
  randn(shape: readonly number[]): Tensor {
    const rows = this.generators.length;
    if (shape[0] !== rows) {
      throw new DiffusionInputError(
        `noise for ${rows} rows asked with shape [${shape.join(', ')}]`,
      );
    }
    const perRow = shapeSize(shape.slice(1));
    const values = new Float32Array(rows * perRow);
    this.generators.forEach((generator, i) => {
      values.set(generator.normals(perRow), i * perRow);
    });
    return tensor(values, [...shape], 'float32');
  }
}
