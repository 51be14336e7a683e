import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readSafetensors, type StateDict } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import {
  type ClassificationData,
  type DatasetEncoder,
  type LabelledSet,
  type PretrainProgress,
  pretrainFeatureExtractor,
  taskEncoderFromConfig,
} from '@pgen/task-encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrototypeNetwork } from './prototype-network';
import { type RpgFitCallbacks, RpgPipeline } from './rpg-pipeline';
import { tinyZoo } from './test-zoo';

const PIXELS = 784;
const FIT = {
  tokenSize: 64,
  dPos: 16,
  dModel: 32,
  lr: 3e-3,
  denoiser: 'mlp' as const,
  mlpHidden: 128,
  condition: 'task-examples' as const,
  examplesPerTask: 8,
  steps: 4,
  examplesPretrainSteps: 30,
};
const CODES = ['0000011111', '1111100000'];

/** "Digits": class c lights pixels 78c … 78c + 77, over uniform noise. */
function digits(count: number, seed: number): ClassificationData {
  const rng = new Rng(seed);
  const inputs = rng.uniformArray(count * PIXELS, 0, 0.3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(10);
    labels[i] = c;
    for (let k = 0; k < 78; k++) inputs[i * PIXELS + 78 * c + k] = 1;
  }
  return { inputs, labels };
}

const DIGITS = digits(300, 1);

/** Examples of a task: digits labelled by the code's bit for their class. */
function taskExamples(code: string, rng: Rng): LabelledSet {
  const n = FIT.examplesPerTask;
  const features = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = rng.int(DIGITS.labels.length);
    features.set(DIGITS.inputs.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = Number(code[DIGITS.labels[i]!]);
  }
  return { features, labels };
}

function zoo() {
  const { zoo } = tinyZoo(4);
  return { checkpoints: zoo, taskCodes: zoo.map((_, i) => CODES[i % 2]!) };
}

function callbacks(extra: RpgFitCallbacks = {}): RpgFitCallbacks {
  return {
    taskCodes: zoo().taskCodes,
    taskExamples,
    pretrainData: { ...DIGITS, numClasses: 10 },
    ...extra,
  };
}

let root: string;
let saves = 0;

/** The condition encoder's weights as the pipeline saves them, and its saved config. */
async function savedEncoder(pipeline: RpgPipeline) {
  const dir = join(root, `saved-${saves++}`);
  await pipeline.save(dir);
  const { tensors } = await readSafetensors(join(dir, 'condition_encoder.safetensors'));
  const file = JSON.parse(readFileSync(join(dir, 'rpg_config.json'), 'utf8'));
  return { tensors, config: file.network.condition.encoder as Record<string, unknown> };
}

/** The weights under `prefix`, by name (a safetensors file sorts its names). */
function part(sd: StateDict, prefix: string): [string, number[]][] {
  return [...sd]
    .filter(([name]) => name.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, t]) => [name, Array.from(t.data as Float32Array)]);
}

/** The encoder RPG builds, untouched or pretrained as the fit pretrains it (same seed, data). */
async function referenceEncoder(frozen: boolean, pretrainSteps: number): Promise<StateDict> {
  const { encoder } = PrototypeNetwork.taskExamplesCondition(FIT.dModel, 0, 0, frozen);
  const reference = taskEncoderFromConfig(encoder) as DatasetEncoder;
  if (pretrainSteps > 0) {
    await pretrainFeatureExtractor(reference, {
      ...DIGITS,
      numClasses: 10,
      steps: pretrainSteps,
      seed: 0,
    });
  }
  const sd = await reference.stateDict();
  reference.dispose();
  return sd;
}

describe('RpgPipeline with a pretrained example encoder', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
    root = mkdtempSync(join(tmpdir(), 'rpg-pretrain-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('pretrains the extractor first, then trains everything else with it frozen', async () => {
    const progress: PretrainProgress[] = [];
    const pipeline = await RpgPipeline.fit(
      zoo().checkpoints,
      FIT,
      callbacks({ onPretrainProgress: (p) => progress.push(p) }),
    );
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const pretraining = pipeline.fitInfo?.extractorPretraining;
    expect(pretraining?.steps).toBe(30);
    expect(pretraining?.accuracy).toBeGreaterThan(0.9);
    const saved = await savedEncoder(pipeline);
    pipeline.dispose();
    expect(saved.config.frozenExtractor).toBe(true);
    const pretrained = await referenceEncoder(true, 30);
    const initial = await referenceEncoder(true, 0);
    // The extractor is exactly as pretraining left it; the rest of the encoder trained on.
    expect(part(saved.tensors, 'extractor.')).toEqual(part(pretrained, 'extractor.'));
    expect(part(saved.tensors, 'extractor.')).not.toEqual(part(initial, 'extractor.'));
    expect(part(saved.tensors, 'phi.')).not.toEqual(part(pretrained, 'phi.'));
    expect(part(saved.tensors, 'rho.')).not.toEqual(part(pretrained, 'rho.'));
  });

  it('does not pretrain again when resuming, and ends where an uninterrupted fit does', async () => {
    const straight = await RpgPipeline.fit(
      zoo().checkpoints,
      FIT,
      callbacks({ checkpointing: { dir: join(root, 'straight'), every: 2 } }),
    );
    const expected = await savedEncoder(straight);
    straight.dispose();
    const dir = join(root, 'interrupted');
    await expect(
      RpgPipeline.fit(
        zoo().checkpoints,
        FIT,
        callbacks({
          checkpointing: { dir, every: 2 },
          onProgress: (p) => {
            if (p.step === 3) throw new Error('interrupted');
          },
        }),
      ),
    ).rejects.toThrow('interrupted');
    expect(existsSync(join(dir, 'step-0000002'))).toBe(true);
    const pretrainSteps: number[] = [];
    const resumed = await RpgPipeline.fit(
      zoo().checkpoints,
      FIT,
      callbacks({
        checkpointing: { dir, every: 2 },
        onPretrainProgress: (p) => pretrainSteps.push(p.step),
      }),
    );
    expect(pretrainSteps).toEqual([]);
    expect(resumed.fitInfo?.extractorPretraining).toBeUndefined();
    const got = await savedEncoder(resumed);
    resumed.dispose();
    expect(part(got.tensors, '')).toEqual(part(expected.tensors, ''));
  });

  it('asks for images to pretrain on, and with 0 steps learns the extractor jointly as before', async () => {
    const { checkpoints, taskCodes } = zoo();
    await expect(RpgPipeline.fit(checkpoints, FIT, { taskCodes, taskExamples })).rejects.toThrow(
      /examplesPretrainSteps 30 needs labelled images/,
    );
    const progress: PretrainProgress[] = [];
    const joint = await RpgPipeline.fit(
      checkpoints,
      { ...FIT, examplesPretrainSteps: 0 },
      { taskCodes, taskExamples, onPretrainProgress: (p) => progress.push(p) },
    );
    expect(progress).toEqual([]);
    expect(joint.fitInfo?.extractorPretraining).toBeUndefined();
    const saved = await savedEncoder(joint);
    joint.dispose();
    expect(saved.config.frozenExtractor).toBe(false);
    const initial = await referenceEncoder(false, 0);
    expect(part(saved.tensors, 'extractor.')).not.toEqual(part(initial, 'extractor.'));
  });
});
