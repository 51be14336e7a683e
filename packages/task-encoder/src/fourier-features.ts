import { Rng } from '@pgen/nn';
import { TaskEncoderError } from './errors';
import { positiveInt } from './options';

/** The unit periodic descriptors are given in. */
export type AngleUnit = 'degrees' | 'radians';

export interface FourierFeaturesOptions {
  /** Descriptor values per task (default 1). */
  inputDim?: number;
  /** Frequencies per descriptor value (default 8). */
  fourierFeatures?: number;
  /**
   * Which values are angles: one flag for all or one per value (default false). An angle θ
   * becomes sin(kθ), cos(kθ) for k = 1…fourierFeatures, whole harmonics, so θ and θ + 360°
   * give the same features.
   */
  periodic?: boolean | readonly boolean[];
  /** Unit of the periodic values (default 'degrees', as rotation tasks are usually named). */
  angleUnit?: AngleUnit;
  /**
   * Standard deviation of the random frequencies (cycles per unit) of non-periodic values
   * (default 1): larger resolves finer differences, smaller generalises more smoothly.
   */
  fourierScale?: number;
  /** Seed of the random frequencies (default 0); ignored when `rng` is given. */
  seed?: number;
  /** Source of the random frequencies, for an owner that derives it from its own seed. */
  rng?: Rng;
}

/**
 * Fixed (untrained) Fourier features of task descriptors. A non-periodic value x becomes
 * [x, sin 2πb₁x, cos 2πb₁x, …] with b_j ~ N(0, fourierScale²), random Fourier features that let
 * an MLP fit sharp functions of x; a periodic value becomes whole harmonics of the angle.
 * Features are computed in float64 in JavaScript, and angles are first wrapped into one period
 * with an exact remainder, so descriptors a whole turn apart give bit-identical features.
 */
export class FourierFeatures {
  readonly inputDim: number;
  readonly fourierFeatures: number;
  readonly periodic: readonly boolean[];
  readonly angleUnit: AngleUnit;
  /** Width of the feature vector of one task. */
  readonly width: number;
  /** Frequencies [inputDim, fourierFeatures]: harmonics k for angles, 2πb_j for the rest. */
  private readonly omega: Float64Array;

  constructor(options: FourierFeaturesOptions = {}, owner = 'FourierFeatures') {
    this.inputDim = positiveInt(owner, 'inputDim', options.inputDim ?? 1);
    this.fourierFeatures = positiveInt(owner, 'fourierFeatures', options.fourierFeatures ?? 8);
    this.angleUnit = options.angleUnit ?? 'degrees';
    if (this.angleUnit !== 'degrees' && this.angleUnit !== 'radians') {
      throw new TaskEncoderError(
        `${owner}: angleUnit must be 'degrees' or 'radians', got ${String(this.angleUnit)}`,
      );
    }
    const periodic = options.periodic ?? false;
    if (Array.isArray(periodic) && periodic.length !== this.inputDim) {
      throw new TaskEncoderError(
        `${owner}: periodic has ${periodic.length} flags for inputDim ${this.inputDim}`,
      );
    }
    this.periodic = Array.isArray(periodic)
      ? [...periodic]
      : new Array<boolean>(this.inputDim).fill(periodic === true);
    const scale = options.fourierScale ?? 1;
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const f = this.fourierFeatures;
    this.omega = new Float64Array(this.inputDim * f);
    for (let d = 0; d < this.inputDim; d++) {
      for (let j = 0; j < f; j++) {
        // Draw for every value, periodic or not, so flipping one flag leaves the others' draws.
        const random = 2 * Math.PI * scale * rng.normal();
        this.omega[d * f + j] = this.periodic[d] ? j + 1 : random;
      }
    }
    this.width = this.periodic.reduce((w, p) => w + (p ? 2 * f : 1 + 2 * f), 0);
  }

  /** Features of `rows` (each `inputDim` finite values) as row-major [rows.length, width]. */
  compute(rows: readonly (readonly number[])[], owner = 'FourierFeatures'): Float32Array {
    const f = this.fourierFeatures;
    const period = this.angleUnit === 'degrees' ? 360 : 2 * Math.PI;
    const toRadians = this.angleUnit === 'degrees' ? Math.PI / 180 : 1;
    const out = new Float32Array(rows.length * this.width);
    rows.forEach((row, r) => {
      if (row.length !== this.inputDim) {
        throw new TaskEncoderError(
          `${owner}: descriptor ${r} has ${row.length} values, expected ${this.inputDim}`,
        );
      }
      let o = r * this.width;
      for (let d = 0; d < this.inputDim; d++) {
        const x = row[d]!;
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          throw new TaskEncoderError(
            `${owner}: descriptor ${r} has a non-finite value (${String(x)}) at position ${d}`,
          );
        }
        let base = x;
        if (this.periodic[d]) {
          // `%` is an exact remainder, so x and x ± 360° land on the same wrapped value.
          base = (((x % period) + period) % period) * toRadians;
        } else {
          out[o++] = x;
        }
        for (let j = 0; j < f; j++) {
          const phase = this.omega[d * f + j]! * base;
          out[o++] = Math.sin(phase);
          out[o++] = Math.cos(phase);
        }
      }
    });
    return out;
  }
}
