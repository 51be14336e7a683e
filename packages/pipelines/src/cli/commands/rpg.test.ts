import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@pgen/checkpoint-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpgPipeline } from '../../rpg/rpg-pipeline';
import { tinyZoo } from '../../rpg/test-zoo';
import { runCli } from '../test-support';

const CONFIG = {
  tokenSize: 64,
  dPos: 16,
  dModel: 16,
  steps: 12,
  tokensPerStep: 4,
  denoiser: 'mlp',
  mlpHidden: 32,
};

describe('pgen rpg', () => {
  let dir: string;
  let zooDir: string;
  let configPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgen-rpg-cli-'));
    zooDir = join(dir, 'zoo');
    mkdirSync(zooDir);
    const { zoo } = tinyZoo(3);
    for (const [i, sd] of zoo.entries()) {
      await writeSafetensors(join(zooDir, `ckpt-${i}.safetensors`), sd);
    }
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fit writes a pipeline folder, generate writes models with the zoo layout', async () => {
    const pipeline = join(dir, 'pipeline');
    const fit = await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      pipeline,
      '--config',
      configPath,
      '--backend',
      'cpu',
    );
    expect(fit.stderr).toMatch(/fit step 12\/12/);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/RPG pipeline, \d+ tokens of 64/);
    expect(readdirSync(pipeline)).toEqual(
      expect.arrayContaining(['rpg_config.json', 'tokenizer.safetensors', 'training']),
    );
    // The flag overrides the file, and the saved config says so.
    const saved = JSON.parse(readFileSync(join(pipeline, 'rpg_config.json'), 'utf8'));
    expect(saved.config.steps).toBe(12);

    const out = join(dir, 'generated');
    const gen = await runCli(
      'rpg',
      'generate',
      '--pipeline',
      pipeline,
      '--count',
      '2',
      '--steps',
      '5',
      '--out',
      out,
      '--backend',
      'cpu',
    );
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(/2 models →/);
    expect(readdirSync(out).sort()).toEqual([
      'generated-0000.safetensors',
      'generated-0001.safetensors',
    ]);
    const model = (await readSafetensors(join(out, 'generated-0001.safetensors'))).tensors;
    expect([...model.keys()].sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.weight']);
  });

  it('rerunning a finished fit reuses its training checkpoint instead of retraining', async () => {
    const pipeline = join(dir, 'resume');
    await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      pipeline,
      '--config',
      configPath,
      '--backend',
      'cpu',
    );
    // Same config: the checkpoint at step 12 is complete, so nothing is retrained.
    const again = await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      pipeline,
      '--config',
      configPath,
      '--backend',
      'cpu',
    );
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/fit step/);
  });

  it('code-estimator trains a digit reader; generate reads examples into a code with it', async () => {
    const estimator = join(dir, 'estimator');
    const trained = await runCli(
      'rpg',
      'code-estimator',
      '--out',
      estimator,
      '--steps',
      '30',
      '--backend',
      'cpu',
    );
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/ExampleCodeEstimator, digits [\d.]+% train \/ [\d.]+% test/);
    const { zoo } = tinyZoo(2);
    const codes = ['0000011111', '1111100000'];
    const pipelineDir = join(dir, 'code-pipeline');
    const fitted = await RpgPipeline.fit(
      zoo,
      { ...CONFIG, denoiser: 'mlp', steps: 2, condition: 'task-code' },
      { taskCodes: codes },
    );
    await fitted.save(pipelineDir);
    fitted.dispose();
    const examples = join(dir, 'digits.safetensors');
    await writeSafetensors(
      examples,
      new Map([
        ['images', { dtype: 'F32', shape: [4, 28, 28], data: new Float32Array(4 * 784).fill(0.5) }],
        ['labels', { dtype: 'I32', shape: [4], data: Int32Array.from([0, 1, 0, 1]) }],
      ] as const),
    );
    const out = join(dir, 'from-examples');
    const args = ['rpg', 'generate', '--pipeline', pipelineDir, '--out', out, '--steps', '2'];
    const gen = await runCli(...args, '--task-examples', examples, '--code-estimator', estimator);
    expect(gen.code).toBe(0);
    expect(gen.stderr).toMatch(/code read from .*digits\.safetensors: (\d\.\d\d ){9}\d\.\d\d/);
    const file = await readSafetensors(join(out, 'generated-0000.safetensors'));
    expect(file.metadata?.task_code).toMatch(/^(\d\.\d{3},){9}\d\.\d{3}$/);
    const noExamples = await runCli(...args, '--code-estimator', estimator);
    expect(noExamples.code).toBe(2);
    expect(noExamples.stderr).toMatch(/--code-estimator reads --task-examples/);
    const notEstimator = await runCli(
      ...args,
      '--task-examples',
      examples,
      '--code-estimator',
      join(pipelineDir, 'nothing-here'),
    );
    expect(notEstimator.code).toBe(2);
    expect(notEstimator.stderr).toMatch(/nothing-here.*task_encoder_config\.json/);
  });

  it('bad input: one line naming the file or flag, exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ steps: ');
    const r1 = await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      join(dir, 'x'),
      '--config',
      bad,
    );
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON`),
    );
    const r2 = await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      join(dir, 'x'),
      '--steps',
      'many',
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--steps must be an integer ≥ 1, got "many"/);
    const r3 = await runCli(
      'rpg',
      'generate',
      '--pipeline',
      join(dir, 'nope'),
      '--out',
      join(dir, 'y'),
    );
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(
      /nope: not a complete RPG pipeline folder \(missing rpg_config\.json/,
    );
    const r4 = await runCli(
      'rpg',
      'fit',
      '--zoo',
      zooDir,
      '--out',
      join(dir, 'x'),
      '--prior',
      'gru',
    );
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/prior must be one of mamba, lstm, transformer, none, got "gru"/);
  });
});
