import { SchedulerConfigError } from '../errors';

/**
 * Names of the beta schedules, as diffusers spells them in `scheduler_config.json`:
 * - `linear`: betas evenly spaced from `betaStart` to `betaEnd` (DDPM; RPG and p-diff use
 *   1e-4 → 0.02 over 1000 steps);
 * - `scaled_linear`: the square roots are evenly spaced (latent diffusion);
 * - `squaredcos_cap_v2`: the cosine schedule of Nichol & Dhariwal (improved DDPM), each beta
 *   capped at 0.999; `betaStart`/`betaEnd` are ignored.
 */
export type BetaScheduleName = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/** Every beta schedule name, for validation and listings. */
export const BETA_SCHEDULES: readonly BetaScheduleName[] = [
  'linear',
  'scaled_linear',
  'squaredcos_cap_v2',
];

/** Options of {@link betaSchedule}. */
export interface BetaScheduleOptions {
  /** Number of diffusion steps T (default 1000). */
  numTrainTimesteps?: number;
  /** First beta of the linear schedules (default 1e-4). */
  betaStart?: number;
  /** Last beta of the linear schedules (default 0.02). */
  betaEnd?: number;
  /** Largest beta the cosine schedule may produce (default 0.999, as in improved DDPM). */
  maxBeta?: number;
}

/**
 * The betas of a named schedule, in float64 (`Float64Array` of length T). The schedulers keep
 * float64 copies so that long products such as ᾱ_t stay accurate; tensors built from them are
 * float32.
 */
export function betaSchedule(
  name: BetaScheduleName,
  options: BetaScheduleOptions = {},
): Float64Array {
  const steps = options.numTrainTimesteps ?? 1000;
  const start = options.betaStart ?? 1e-4;
  const end = options.betaEnd ?? 0.02;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new SchedulerConfigError(`numTrainTimesteps must be a positive integer, got ${steps}`);
  }
  switch (name) {
    case 'linear':
      checkBetaRange(start, end);
      return linspace(start, end, steps);
    case 'scaled_linear': {
      checkBetaRange(start, end);
      const roots = linspace(Math.sqrt(start), Math.sqrt(end), steps);
      return roots.map((r) => r * r);
    }
    case 'squaredcos_cap_v2':
      return cosineBetas(steps, options.maxBeta ?? 0.999);
    default:
      throw new SchedulerConfigError(
        `unknown beta schedule ${JSON.stringify(name)}; expected one of ${BETA_SCHEDULES.join(', ')}`,
      );
  }
}

/**
 * ᾱ_t = ∏_{s≤t} (1 − β_s), the fraction of signal variance left at step t, in float64.
 */
export function alphasCumprod(betas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - (betas[i] as number);
    out[i] = product;
  }
  return out;
}

/**
 * Checks betas given directly (diffusers' `trained_betas`): a non-empty list of finite numbers
 * in (0, 1). Returns them as float64.
 */
export function validateBetas(betas: ArrayLike<number>): Float64Array {
  if (betas.length === 0) throw new SchedulerConfigError('trained_betas is empty');
  const out = Float64Array.from(betas);
  out.forEach((beta, i) => {
    if (!Number.isFinite(beta) || beta <= 0 || beta >= 1) {
      throw new SchedulerConfigError(`trained_betas[${i}] = ${beta} is not in (0, 1)`);
    }
  });
  return out;
}

function checkBetaRange(start: number, end: number): void {
  for (const [key, value] of [
    ['betaStart', start],
    ['betaEnd', end],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0 || value >= 1) {
      throw new SchedulerConfigError(`${key} must be in (0, 1), got ${value}`);
    }
  }
}

// Matches numpy/torch linspace: both ends exact, T = 1 gives just the start.
function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = end;
  return out;
}

function cosineBetas(steps: number, maxBeta: number): Float64Array {
  // ᾱ(s) = cos²((s + 0.008) / 1.008 · π/2) on s ∈ [0, 1]; β_i = 1 − ᾱ((i+1)/T) / ᾱ(i/T).
  const alphaBar = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    out[i] = Math.min(1 - alphaBar((i + 1) / steps) / alphaBar(i / steps), maxBeta);
  }
  return out;
}
