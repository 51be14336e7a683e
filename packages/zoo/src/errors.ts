/**
 * An error caused by bad input to the zoo (a missing or corrupt dataset file, a broken
 * manifest, an unknown architecture or strategy). `userFacing` tells the pgen CLI to print the
 * message alone and exit 2.
 */
export class ZooError extends Error {
  /** Marks the message as complete for an end user (read by the pgen CLI). */
  readonly userFacing = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZooError';
  }
}
