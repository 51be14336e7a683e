import { Command, CommanderError } from 'commander';
import { isUserFacingError } from './cli-error';
import { registerCommands } from './commands';

/** Builds the `pgen` program; exported so tests can drive it without spawning a process. */
export function createProgram(): Command {
  const program = new Command('pgen')
    .description('Generate neural-network weights with diffusion models (RPG, COND P-DIFF).')
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 2 bad input (one line on stderr),
 * 1 an unexpected failure (with its stack).
 */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version land here with exit code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug');
    if (isUserFacingError(error)) {
      process.stderr.write(`pgen: ${error.message}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return 2;
    }
    process.stderr.write(
      `pgen: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    return 1;
  }
}
