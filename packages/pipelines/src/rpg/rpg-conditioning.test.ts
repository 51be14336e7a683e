import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import type { StateDict } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import type { LabelledSet } from '@pgen/task-encoder';
import { describe, expect, it } from 'vitest';
import { RpgPipeline } from './rpg-pipeline';
import { tinyZoo } from './test-zoo';

const FIT = {
  tokenSize: 64,
  dPos: 16,
  dModel: 32,
  lr: 3e-3,
  denoiser: 'mlp' as const,
  mlpHidden: 128,
  condition: 'task-code' as const,
};
const CODE_A = '0000011111';
const CODE_B = '1111100000';

/** Two tasks whose checkpoints sit around opposite centres. */
function twoTaskZoo() {
  const { zoo } = tinyZoo(6);
  const negate = (sd: StateDict): StateDict =>
    new Map([...sd].map(([k, t]) => [k, { ...t, data: (t.data as Float32Array).map((v) => -v) }]));
  const checkpoints = zoo.map((sd, i) => (i < 3 ? sd : negate(sd)));
  const codes = zoo.map((_, i) => (i < 3 ? CODE_A : CODE_B));
  return { checkpoints, codes };
}

describe('RpgPipeline with task-code conditions', () => {
  it('generates with the zoo layout for a task code, saved and reloaded with its encoder', async () => {
    await initBackend({ prefer: 'cpu' });
    const { checkpoints, codes } = twoTaskZoo();
    const pipeline = await RpgPipeline.fit(checkpoints, { ...FIT, steps: 3 }, { taskCodes: codes });
    const dir = mkdtempSync(join(tmpdir(), 'rpg-cond-'));
    try {
      const [a] = await pipeline.generateStateDicts({
        count: 1,
        seed: 4,
        steps: 3,
        taskCode: CODE_A,
      });
      const [b] = await pipeline.generateStateDicts({
        count: 1,
        seed: 4,
        steps: 3,
        taskCode: CODE_B,
      });
      expect([...a!.keys()]).toEqual([...checkpoints[0]!.keys()]);
      // Same seed, other task: the condition reaches the weights.
      expect(a!.get('fc1.weight')!.data).not.toEqual(b!.get('fc1.weight')!.data);
      await pipeline.save(dir);
      const loaded = await RpgPipeline.load(dir);
      const [again] = await loaded.generateStateDicts({
        count: 1,
        seed: 4,
        steps: 3,
        taskCode: CODE_A,
      });
      loaded.dispose();
      expect(again!.get('fc1.weight')!.data).toEqual(a!.get('fc1.weight')!.data);
      // A soft code of exact bits is the code; values in between are taken, others refused.
      const soft = (code: string) => [...code].map(Number);
      const [viaSoft] = await pipeline.generateStateDicts({
        count: 1,
        seed: 4,
        steps: 3,
        taskCode: soft(CODE_A),
      });
      expect(viaSoft!.get('fc1.weight')!.data).toEqual(a!.get('fc1.weight')!.data);
      const between = soft(CODE_A).map((v) => 0.5 * v + 0.25);
      const [blurred] = await pipeline.generateStateDicts({
        count: 1,
        seed: 4,
        steps: 3,
        taskCode: between,
      });
      expect(blurred!.get('fc1.weight')!.data).not.toEqual(a!.get('fc1.weight')!.data);
      await expect(
        pipeline.generateStateDicts({ count: 1, taskCode: [...soft(CODE_A).slice(1), 2] }),
      ).rejects.toThrow(/soft task code is 10 numbers in \[0, 1\]/);
    } finally {
      pipeline.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for codes where they are needed and refuses them where they are not', async () => {
    await initBackend({ prefer: 'cpu' });
    const { checkpoints, codes } = twoTaskZoo();
    await expect(RpgPipeline.fit(checkpoints, { ...FIT, steps: 2 })).rejects.toThrow(
      /task-code needs one task code per checkpoint.*got 0 for 6/,
    );
    await expect(
      RpgPipeline.fit(checkpoints, { ...FIT, steps: 2 }, { taskCodes: codes.map(() => '012') }),
    ).rejects.toThrow(/10 characters of 0 and 1.*"012"/);
    const conditioned = await RpgPipeline.fit(
      checkpoints,
      { ...FIT, steps: 2 },
      { taskCodes: codes },
    );
    await expect(conditioned.generateStateDicts({ count: 1 })).rejects.toThrow(/task-conditioned/);
    conditioned.dispose();
    const plain = await RpgPipeline.fit(checkpoints, { ...FIT, condition: 'none', steps: 2 });
    await expect(plain.generateStateDicts({ count: 1, taskCode: CODE_A })).rejects.toThrow(
      /without task conditions/,
    );
    plain.dispose();
  });

  it('conditions on labelled examples through a dataset encoder, saved and reloaded', async () => {
    await initBackend({ prefer: 'cpu' });
    const { checkpoints, codes } = twoTaskZoo();
    // Examples of a task: 784 "pixels" whose label is the code's first bit.
    const examples = (code: string, rng: Rng): LabelledSet => {
      const n = 4;
      const features = Float32Array.from({ length: n * 784 }, () => rng.next());
      return { features, labels: Int32Array.from({ length: n }, () => Number(code[0])) };
    };
    const config = {
      ...FIT,
      condition: 'task-examples' as const,
      examplesPerTask: 4,
      steps: 3,
      // Learned jointly: pretraining is tested in rpg-examples-pretraining.test.ts.
      examplesPretrainSteps: 0,
    };
    await expect(RpgPipeline.fit(checkpoints, config, { taskCodes: codes })).rejects.toThrow(
      /task-examples needs a source of labelled examples/,
    );
    const pipeline = await RpgPipeline.fit(checkpoints, config, {
      taskCodes: codes,
      taskExamples: examples,
    });
    const dir = mkdtempSync(join(tmpdir(), 'rpg-examples-'));
    try {
      const set = examples(CODE_B, new Rng(1));
      const [a] = await pipeline.generateStateDicts({
        count: 1,
        seed: 2,
        steps: 3,
        taskExamples: set,
      });
      expect([...a!.keys()]).toEqual([...checkpoints[0]!.keys()]);
      await expect(pipeline.generateStateDicts({ count: 1, taskCode: CODE_A })).rejects.toThrow(
        /conditioned on task examples/,
      );
      await pipeline.save(dir);
      const loaded = await RpgPipeline.load(dir);
      const [again] = await loaded.generateStateDicts({
        count: 1,
        seed: 2,
        steps: 3,
        taskExamples: set,
      });
      loaded.dispose();
      expect(again!.get('fc2.weight')!.data).toEqual(a!.get('fc2.weight')!.data);
    } finally {
      pipeline.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
