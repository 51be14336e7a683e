import { formatInspectReport, inspectCheckpoint, inspectReportToJson } from '@pgen/checkpoint-io';
import type { Command } from 'commander';

/** `pgen inspect <path> [--json]`: what a checkpoint holds, tensor by tensor. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description(
      'Show the format, metadata and every tensor (dtype, shape, numel, mean, std, min, max) of a checkpoint: ' +
        'a .safetensors file, a torch.save .pth/.pt (zip or legacy; nested names joined with dots), ' +
        'a PEFT adapter folder or a tfjs model.json. PyTorch pickles are read without running any code.',
    )
    .argument('<path>', 'checkpoint file or folder')
    .option(
      '--json',
      'print {"format", "metadata", "tensors": {name: {dtype, shape, numel, mean, std, min, max}}, "totals"} as JSON',
    )
    .action(async (path: string, options: { json?: boolean }) => {
      const report = await inspectCheckpoint(path);
      const text = options.json
        ? JSON.stringify(inspectReportToJson(report), null, 2)
        : formatInspectReport(report);
      process.stdout.write(`${text}\n`);
    });
}
