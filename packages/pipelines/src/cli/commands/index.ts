import type { Command } from 'commander';
import { registerBackendsCommand } from './backends';
import { registerCondPdiffCommand } from './cond-pdiff';
import { registerConvertCommand } from './convert';
import { registerDemoCommand } from './demo';
import { registerEvalCommand } from './eval';
import { registerInspectCommand } from './inspect';
import { registerRpgCommand } from './rpg';
import { registerZooCommand } from './zoo';

/** Every `pgen` subcommand registers itself here; one file per command in this folder. */
export function registerCommands(program: Command): void {
  registerInspectCommand(program);
  registerConvertCommand(program);
  registerZooCommand(program);
  registerEvalCommand(program);
  registerRpgCommand(program);
  registerCondPdiffCommand(program);
  registerDemoCommand(program);
  registerBackendsCommand(program);
}
