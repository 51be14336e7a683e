/** A learning rate as a function of the step (0-based). */
export type LrSchedule = (step: number) => number;

export interface CosineScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  baseLr: number;
  /** Steps of linear warm-up from 0 (default 0). */
  warmupSteps?: number;
  /** Step at which the cosine reaches `minLr`; later steps stay there. */
  totalSteps: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/** Linear warm-up, then cosine decay to `minLr` at `totalSteps`. */
export function cosineWithWarmup(options: CosineScheduleOptions): LrSchedule {
  const { baseLr, totalSteps } = options;
  const warmup = options.warmupSteps ?? 0;
  const minLr = options.minLr ?? 0;
  if (totalSteps <= warmup) throw new Error('cosineWithWarmup: totalSteps must exceed warmupSteps');
  return (step) => {
    if (step < warmup) return (baseLr * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / (totalSteps - warmup));
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

/** Linear warm-up, then constant. */
export function constantWithWarmup(baseLr: number, warmupSteps = 0): LrSchedule {
  return (step) => (step < warmupSteps ? (baseLr * (step + 1)) / warmupSteps : baseLr);
}
