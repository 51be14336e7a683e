import { convertToSafetensors } from '@pgen/checkpoint-io';
import type { Command } from 'commander';

/** `pgen convert <in> <out.safetensors>`: any readable checkpoint to safetensors. */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description(
      'Convert a checkpoint (.safetensors, torch.save .pth/.pt zip or legacy, PEFT adapter folder, tfjs model.json) ' +
        'to a .safetensors file. Tensor names and values are kept exactly (nested .pth names joined with dots); ' +
        'the output is written atomically, so a failure leaves no file behind.',
    )
    .argument('<input>', 'checkpoint file or folder to read')
    .argument('<output>', '.safetensors file to write (replaced atomically if it exists)')
    .action(async (input: string, output: string) => {
      const summary = await convertToSafetensors(input, output);
      process.stdout.write(
        `converted ${summary.tensors} tensors (${summary.format}) → ${output}\n`,
      );
    });
}
