export { CliUsageError } from './cli/cli-error';
export { createProgram, main } from './cli/main';
export * from './cond-pdiff';
export * from './rpg';
