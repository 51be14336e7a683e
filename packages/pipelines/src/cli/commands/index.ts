import type { Command } from 'commander';
import { registerBackendsCommand } from './backends';
import { registerConvertCommand } from './convert';
import { registerInspectCommand } from './inspect';

/** Every `pgen` subcommand registers itself here; one file per command in this folder. */
export function registerCommands(program: Command): void {
  registerInspectCommand(program);
  registerConvertCommand(program);
  registerBackendsCommand(program);
}
