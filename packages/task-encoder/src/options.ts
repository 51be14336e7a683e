import { TaskEncoderError } from './errors';

/** Checks that an option is a positive integer, so a bad config fails before any tensor exists. */
export function positiveInt(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TaskEncoderError(
      `${owner}: ${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks that an option is a finite number (a seed, a scale). */
export function finiteNumber(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TaskEncoderError(`${owner}: ${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}
