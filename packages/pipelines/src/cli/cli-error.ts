/**
 * An error the CLI reports as one line on stderr with exit code 2 (bad input, missing file,
 * unusable option). Anything else is a bug and exits 1 with its stack.
 */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** Errors whose message alone tells the user what is wrong: printed without a stack trace. */
export function isUserFacingError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error instanceof CliUsageError) return true;
  // Typed input errors from the libraries (e.g. SafetensorsError, UnknownDTypeError) opt in with
  // `userFacing = true`, so the CLI need not know every error class.
  if ((error as { userFacing?: unknown }).userFacing === true) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR';
}
