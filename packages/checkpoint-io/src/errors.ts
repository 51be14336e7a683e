/**
 * Base of every error caused by a bad input file. `userFacing` tells the CLI to print the
 * message as one line (no stack); the message always names the file and the broken rule.
 */
export class CheckpointError extends Error {
  /** Marks the message as complete for an end user (read by the pgen CLI). */
  readonly userFacing = true;
  /** The file (or folder) the problem was found in. */
  readonly file: string;
  /** A stable, machine-readable name for the rule that failed, e.g. `invalid-offset`. */
  readonly rule: string;
  /** The problem in words, without the file name. */
  readonly reason: string;

  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
    this.name = 'CheckpointError';
    this.file = file;
    this.rule = rule;
    this.reason = reason;
  }
}

/** Rules of the safetensors format, as the reference implementation enforces them. */
export type SafetensorsRule =
  | 'header-too-small'
  | 'header-too-large'
  | 'invalid-header-length'
  | 'invalid-utf8'
  | 'invalid-json'
  | 'invalid-header'
  | 'invalid-metadata'
  | 'unknown-dtype'
  | 'duplicate-name'
  | 'invalid-offset'
  | 'validation-overflow'
  | 'invalid-tensor-info'
  | 'incomplete-buffer'
  | 'tensor-not-found'
  | 'invalid-tensor';

/** A safetensors file (or a tensor given to a writer) breaks a rule of the format. */
export class SafetensorsError extends CheckpointError {
  declare readonly rule: SafetensorsRule;
  constructor(file: string, rule: SafetensorsRule, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'SafetensorsError';
  }
}

/** A pickle stream is truncated or structurally broken. */
export class PickleError extends CheckpointError {
  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'PickleError';
  }
}

/**
 * A pickle asks for something the restricted unpickler never does: a global outside the
 * allowlist, or an opcode that could build arbitrary objects. Nothing of it was executed.
 */
export class PickleSecurityError extends PickleError {
  constructor(
    file: string,
    rule: 'forbidden-global' | 'forbidden-opcode' | 'forbidden-call',
    reason: string,
  ) {
    super(file, rule, reason);
    this.name = 'PickleSecurityError';
  }
}

/** A zip archive (the container of `torch.save` files) is malformed or unsupported. */
export class ZipFormatError extends CheckpointError {
  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'ZipFormatError';
  }
}

/** A PyTorch checkpoint is well-formed pickle but not a checkpoint pgen can read. */
export class PthFormatError extends CheckpointError {
  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'PthFormatError';
  }
}

/** A PEFT adapter folder or its config is invalid, or it cannot be merged into a base. */
export class PeftAdapterError extends CheckpointError {
  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'PeftAdapterError';
  }
}

/** A tfjs `model.json` or one of its weight shards is invalid. */
export class TfjsWeightsError extends CheckpointError {
  constructor(file: string, rule: string, reason: string, options?: { cause?: unknown }) {
    super(file, rule, reason, options);
    this.name = 'TfjsWeightsError';
  }
}

/** The path is not in any format pgen reads. */
export class UnsupportedFormatError extends CheckpointError {
  constructor(file: string, reason: string) {
    super(file, 'unsupported-format', reason);
    this.name = 'UnsupportedFormatError';
  }
}

/** True for errors whose message alone tells the user what is wrong. */
export function isUserFacingError(error: unknown): error is Error & { userFacing: true } {
  return error instanceof Error && (error as { userFacing?: unknown }).userFacing === true;
}
