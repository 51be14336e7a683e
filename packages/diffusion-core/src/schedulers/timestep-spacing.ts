import { DiffusionInputError } from '../errors';
import type { TimestepSpacing } from './scheduler-config';

/**
 * The `n` inference timesteps, noisiest first, that `spacing` picks out of `numTrainTimesteps`
 * (see {@link TimestepSpacing}). Throws when n is not an integer in [1, T] or when `leading`
 * plus `stepsOffset` would step past T − 1.
 */
export function spacedTimesteps(
  numTrainTimesteps: number,
  n: number,
  spacing: TimestepSpacing,
  stepsOffset = 0,
): Int32Array {
  const T = numTrainTimesteps;
  if (!Number.isInteger(n) || n < 1 || n > T) {
    throw new DiffusionInputError(
      `number of inference steps must be an integer in [1, ${T}] (num_train_timesteps), got ${n}`,
    );
  }
  const out = new Int32Array(n);
  switch (spacing) {
    case 'leading': {
      const ratio = Math.floor(T / n);
      for (let i = 0; i < n; i++) out[i] = (n - 1 - i) * ratio + stepsOffset;
      if ((out[0] as number) >= T) {
        throw new DiffusionInputError(
          `steps_offset ${stepsOffset} puts the first timestep at ${out[0]}, past ${T - 1}`,
        );
      }
      break;
    }
    case 'linspace': {
      const step = n === 1 ? 0 : (T - 1) / (n - 1);
      for (let i = 0; i < n; i++) out[i] = roundHalfEven((n - 1 - i) * step);
      break;
    }
    case 'trailing': {
      const ratio = T / n;
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(T - i * ratio) - 1;
      break;
    }
    default:
      throw new DiffusionInputError(`unknown timestep spacing ${JSON.stringify(spacing)}`);
  }
  return out;
}

// numpy's round(): halves go to the even neighbour, which matters for linspace/trailing ties.
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (Math.abs(diff - 0.5) > 1e-9) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
