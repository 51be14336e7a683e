/**
 * A problem with the user's input (a missing folder, a state dict that does not fit the zoo,
 * an empty generated folder). `userFacing` tells the pgen CLI to print the message alone as
 * one line and exit 2; the message names the file or folder and what is wrong with it.
 */
export class BenchError extends Error {
  /** Marks the message as complete for an end user (read by the pgen CLI). */
  readonly userFacing = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
  }
}
