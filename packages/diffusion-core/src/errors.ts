/**
 * A scheduler configuration that pgen cannot honour: an unknown key, a value of the wrong type
 * or out of range, an option diffusers has but pgen does not implement, or a config file that
 * is missing or not JSON. `userFacing` tells the CLI to print the message alone.
 */
export class SchedulerConfigError extends Error {
  override name = 'SchedulerConfigError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
}

/**
 * A call with inputs that cannot work: tensors of mismatched shapes, a timestep outside the
 * schedule, a stochastic step without a noise source, an invalid seed or sampling option.
 */
export class DiffusionInputError extends Error {
  override name = 'DiffusionInputError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
}
