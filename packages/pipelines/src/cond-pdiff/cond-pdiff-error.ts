/**
 * Bad input to the COND P-DIFF pipeline (empty or mixed zoo, unknown task, missing condition,
 * incomplete pipeline folder, unusable option). `userFacing` makes the CLI print the message
 * alone and exit 2.
 */
export class CondPdiffError extends Error {
  override name = 'CondPdiffError';
  readonly userFacing = true;
}
