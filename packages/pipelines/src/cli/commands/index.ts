import type { Command } from 'commander';
import { registerBackendsCommand } from './backends';

/** Every `pgen` subcommand registers itself here; one file per command in this folder. */
export function registerCommands(program: Command): void {
  registerBackendsCommand(program);
}
