import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readPeftAdapter } from '@pgen/checkpoint-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallMnist, TINY_COND_PDIFF_CONFIG, tinyLoraZoo } from '../../cond-pdiff/test-lora-zoo';
import { runCli } from '../test-support';

describe('pgen cond-pdiff', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = await mkdtemp(join(tmpdir(), 'pgen-cond-pdiff-cli-'));
    await tinyLoraZoo(join(dir, 'zoo'), await smallMnist());
    await writeFile(join(dir, 'config.json'), JSON.stringify(TINY_COND_PDIFF_CONFIG));
    await writeFile(join(dir, 'held-out.txt'), '# a quarter\n90\n');
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fit saves a pipeline without the held-out angle; generate writes PEFT folders for it', async () => {
    const pipeline = join(dir, 'pipeline');
    const fit = await runCli(
      'cond-pdiff',
      'fit',
      '--zoo',
      join(dir, 'zoo'),
      '--out',
      pipeline,
      '--config',
      join(dir, 'config.json'),
      '--hold-out',
      join(dir, 'held-out.txt'),
      '--diffusion-steps',
      '12',
    );
    expect(fit.stderr).toMatch(/diffusion step 12\/12/);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/COND P-DIFF pipeline \(descriptor\), 9 adapters of 3 tasks/);

    const out = join(dir, 'generated');
    const gen = await runCli(
      'cond-pdiff',
      'generate',
      '--pipeline',
      pipeline,
      '--angle',
      '90',
      '--count',
      '2',
      '--out',
      out,
    );
    expect(gen.code).toBe(0);
    expect(await readdir(out)).toEqual(['adapter-0000', 'adapter-0001']);
    const adapter = await readPeftAdapter(join(out, 'adapter-0001'));
    expect(adapter.config.targetModules).toEqual(['qkv', 'proj']);
    expect(adapter.tensors.get('base_model.model.blocks.0.attn.qkv.lora_B.weight')!.shape).toEqual([
      48, 4,
    ]);

    const unseen = await runCli(
      'cond-pdiff',
      'generate',
      '--pipeline',
      pipeline,
      '--task',
      'rot-090',
      '--out',
      join(dir, 'x'),
    );
    expect(unseen.code).not.toBe(0);
    expect(unseen.stderr).toMatch(/"rot-090" is not one of the training tasks/);
  }, 60_000);

  it('refuses two conditions at once, a bad held-out list and a missing pipeline', async () => {
    const two = await runCli(
      'cond-pdiff',
      'generate',
      '--pipeline',
      join(dir, 'pipeline'),
      '--angle',
      '90',
      '--task',
      'rot-000',
      '--out',
      join(dir, 'y'),
    );
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/exactly one of --angle, --task/);
    await writeFile(join(dir, 'bad.txt'), '90\nninety\n');
    const bad = await runCli(
      'cond-pdiff',
      'fit',
      '--zoo',
      join(dir, 'zoo'),
      '--out',
      join(dir, 'p2'),
      '--hold-out',
      join(dir, 'bad.txt'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.txt:2: "ninety" is not an angle/);
    const missing = await runCli(
      'cond-pdiff',
      'generate',
      '--pipeline',
      join(dir, 'nope'),
      '--angle',
      '0',
      '--out',
      join(dir, 'z'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: not a complete COND P-DIFF pipeline folder/);
  });
});
