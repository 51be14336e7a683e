/**
 * An autoencoder that cannot be built or used as asked: an invalid option, an input of the wrong
 * shape, or a saved folder whose config is missing or not valid. `userFacing` tells the CLI to
 * print the message alone.
 */
export class LatentAeError extends Error {
  override name = 'LatentAeError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
}
