/**
 * A task encoder was given something it cannot encode or build from: a malformed code, an
 * unknown task id, an empty example set, non-finite values, a config with bad options, or a
 * saved folder that cannot be read. The message names the encoder (or file) and the problem;
 * `userFacing` tells the CLI to print it alone.
 */
export class TaskEncoderError extends Error {
  override name = 'TaskEncoderError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
}
