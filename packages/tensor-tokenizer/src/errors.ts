/**
 * Every error the tokenizer throws on bad input is a `TokenizerError`, so callers can tell
 * "your checkpoints or tokens are wrong" apart from programming errors.
 */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The checkpoints of a zoo do not share names, shapes and dtypes. */
export class ZooMismatchError extends TokenizerError {}

/** A state dict given to `encode` does not match the fitted layout. */
export class StateDictMismatchError extends TokenizerError {}

/** A tensor to be tokenized holds NaN or ±Infinity. */
export class NonFiniteValueError extends TokenizerError {}

/** A tensor normalised with `'log-zscore'` holds a negative value. */
export class NegativeValueError extends TokenizerError {}

/** Tokens given to `decode` do not match the fitted layout (count, width or order). */
export class TokenCountMismatchError extends TokenizerError {}

/** Options that cannot work together, or an empty selection. */
export class TokenizerConfigError extends TokenizerError {}

/** A saved tokenizer file that is not one, or was written by an incompatible version. */
export class TokenizerFormatError extends TokenizerError {}

/** How error messages name a checkpoint: its index, and its name when the caller gave one. */
export function describeCheckpoint(index: number, name?: string): string {
  return name === undefined ? `checkpoint #${index}` : `checkpoint #${index} ("${name}")`;
}

/** Shapes as PyTorch prints them, so messages read like the user's own model code. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
