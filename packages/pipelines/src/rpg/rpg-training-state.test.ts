import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpgPipeline } from './rpg-pipeline';
import { tinyZoo } from './test-zoo';

const FIT = {
  tokenSize: 64,
  dPos: 16,
  dModel: 16,
  steps: 10,
  lr: 3e-3,
  tokensPerStep: 4,
  denoiser: 'mlp' as const,
  mlpHidden: 32,
};

async function weights(pipeline: RpgPipeline): Promise<Float32Array[]> {
  const models = await pipeline.generateStateDicts({ count: 1, seed: 1, steps: 5 });
  return [...models[0]!.values()].map((t) => t.data as Float32Array);
}

describe('RpgPipeline.fit checkpointing', () => {
  const { zoo } = tinyZoo(3);
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
    dir = mkdtempSync(join(tmpdir(), 'rpg-resume-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a fit interrupted and resumed ends exactly where an uninterrupted fit does', async () => {
    const straight = await RpgPipeline.fit(zoo, FIT, {
      checkpointing: { dir: join(dir, 'straight'), every: 4 },
    });
    const expected = await weights(straight);
    straight.dispose();
    // The last checkpoint only is kept, and latest.json points at it.
    expect(readdirSync(join(dir, 'straight')).sort()).toEqual(['latest.json', 'step-0000010']);

    const interrupted = join(dir, 'interrupted');
    await expect(
      RpgPipeline.fit(zoo, FIT, {
        checkpointing: { dir: interrupted, every: 4 },
        onProgress: (p) => {
          if (p.step === 6) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(existsSync(join(interrupted, 'step-0000004'))).toBe(true);

    const resumedSteps: number[] = [];
    const resumed = await RpgPipeline.fit(zoo, FIT, {
      checkpointing: { dir: interrupted, every: 4 },
      onProgress: (p) => {
        expect(p.resumedFrom).toBe(4);
        resumedSteps.push(p.step);
      },
    });
    expect(resumedSteps).toEqual([5, 6, 7, 8, 9, 10]);
    const got = await weights(resumed);
    resumed.dispose();
    expect(got).toEqual(expected);
  });

  it('refuses to resume under another config, naming what differs', async () => {
    await expect(
      RpgPipeline.fit(zoo, { ...FIT, lr: 1e-3 }, { checkpointing: { dir: join(dir, 'straight') } }),
    ).rejects.toThrow(/another config \(lr: 0\.003 there, 0\.001 now\)/);
  });
});

describe('RpgPipeline with teacher forcing', () => {
  it('trains on the previous clean token and generates token by token, same layout', async () => {
    await initBackend({ prefer: 'cpu' });
    const { zoo } = tinyZoo(3);
    const pipeline = await RpgPipeline.fit(zoo, { ...FIT, teacherForcing: true, prior: 'lstm' });
    try {
      expect(pipeline.tokenizer.shape[0]).toBeGreaterThan(1);
      const [a, b] = await pipeline.generateStateDicts({ count: 2, seed: 2, steps: 4 });
      for (const [name, t] of zoo[0]!) {
        expect(a!.get(name)!.shape).toEqual(t.shape);
        expect([...(a!.get(name)!.data as Float32Array)].every(Number.isFinite)).toBe(true);
      }
      // Different seeds give different models.
      expect(a!.get('fc1.weight')!.data).not.toEqual(b!.get('fc1.weight')!.data);
      const again = await pipeline.generateStateDicts({ count: 1, seed: 2, steps: 4 });
      expect(again[0]!.get('fc2.weight')!.data).toEqual(a!.get('fc2.weight')!.data);
    } finally {
      pipeline.dispose();
    }
  });
});
