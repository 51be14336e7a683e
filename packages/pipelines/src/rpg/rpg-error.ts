/**
 * Bad input to the RPG pipeline (missing or mixed zoo, incomplete pipeline folder, unusable
 * option). `userFacing` makes the CLI print the message alone and exit 2.
 */
export class RpgError extends Error {
  override name = 'RpgError';
  readonly userFacing = true;
}
