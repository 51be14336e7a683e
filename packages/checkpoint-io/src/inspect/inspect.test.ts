import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCheckpointFormat, readCheckpoint } from '../checkpoint';
import { CheckpointError, UnsupportedFormatError } from '../errors';
import { writeSafetensors } from '../safetensors/writer';
import type { TensorData } from '../state-dict';
import { makeTensor } from '../state-dict';
import { expectedFor, FIXTURES, tempDir } from '../test-support/fixtures';
import { writeTfjsWeights } from '../tfjs/tfjs-writer';
import { convertToSafetensors } from './convert';
import { formatInspectReport, inspectCheckpoint, inspectReportToJson } from './inspect-report';
import { tensorStats } from './tensor-stats';

describe('tensorStats', () => {
  it('computes mean, population std, min and max in float64', () => {
    expect(tensorStats(makeTensor('F32', [4], new Float32Array([1, 2, 3, 4])))).toEqual({
      mean: 2.5,
      std: Math.sqrt(1.25),
      min: 1,
      max: 4,
    });
    expect(tensorStats(makeTensor('I64', [2], new BigInt64Array([-3n, 5n])))).toEqual({
      mean: 1,
      std: 4,
      min: -3,
      max: 5,
    });
    expect(tensorStats(makeTensor('F32', [0]))).toEqual({
      mean: null,
      std: null,
      min: null,
      max: null,
    });
  });
});

describe('inspectCheckpoint', () => {
  it('reports every tensor of a safetensors file with stats matching PyTorch sums', async () => {
    const report = await inspectCheckpoint(join(FIXTURES, 'mixed.safetensors'));
    expect(report.format).toBe('safetensors');
    expect(report.metadata).toEqual({ note: 'mixed dtypes' });
    const expected = expectedFor('mixed.safetensors');
    for (const t of report.tensors) {
      const want = expected[t.name]!;
      expect(t.shape).toEqual(want.shape);
      if (t.numel > 0) expect(t.mean! * t.numel).toBeCloseTo(want.sum, 3);
    }
    expect(report.totals.tensors).toBe(7);
    const json = inspectReportToJson(report) as { tensors: Record<string, { dtype: string }> };
    expect(json.tensors.b!.dtype).toBe('BF16');
    const text = formatInspectReport(report);
    expect(text).toContain('format: safetensors');
    expect(text).toMatch(/total: 7 tensors/);
  });

  it('names nested .pth tensors by their dotted path', async () => {
    const report = await inspectCheckpoint(join(FIXTURES, 'nested_checkpoint.pth'));
    expect(report.tensors[0]!.name).toBe('state_dict.conv1.0.weight');
    expect(report.metadata).toEqual({ epoch: '3', acc: '0.91' });
  });
});

describe('format detection and conversion', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('detects every format from content', async () => {
    await writeTfjsWeights(
      join(dir, 'tfjs'),
      new Map<string, TensorData>([['w', makeTensor('F32', [1])]]),
    );
    expect(await detectCheckpointFormat(join(FIXTURES, 'mixed.safetensors'))).toBe('safetensors');
    expect(await detectCheckpointFormat(join(FIXTURES, 'odd_tensors.pth'))).toBe('pth');
    expect(await detectCheckpointFormat(join(FIXTURES, 'odd_tensors_legacy.pth'))).toBe(
      'pth-legacy',
    );
    expect(await detectCheckpointFormat(join(FIXTURES, 'peft_lora_gpt2'))).toBe('peft');
    expect(await detectCheckpointFormat(join(dir, 'tfjs'))).toBe('tfjs');
    expect(await detectCheckpointFormat(join(dir, 'tfjs', 'model.json'))).toBe('tfjs');
    await writeFile(join(dir, 'x.bin'), 'random bytes here');
    await expect(detectCheckpointFormat(join(dir, 'x.bin'))).rejects.toBeInstanceOf(
      UnsupportedFormatError,
    );
    expect((await readCheckpoint(join(FIXTURES, 'peft_lora_gpt2'))).metadata.r).toBe('2');
  });

  it('converts each format to safetensors with the same tensors', async () => {
    await writeTfjsWeights(
      join(dir, 'tfjs'),
      new Map<string, TensorData>([['w', makeTensor('F32', [2], new Float32Array([1, 2]))]]),
    );
    for (const input of [
      join(FIXTURES, 'shufflenet_v2_x0_5.safetensors'),
      join(FIXTURES, 'shufflenet_v2_x0_5.pth'),
      join(FIXTURES, 'peft_lora_gpt2'),
      join(dir, 'tfjs'),
    ]) {
      const out = join(dir, 'out.safetensors');
      await convertToSafetensors(input, out);
      expect((await readCheckpoint(out)).tensors).toEqual((await readCheckpoint(input)).tensors);
    }
  });

  it('leaves no output behind when the input is bad', async () => {
    const out = join(dir, 'out.safetensors');
    await expect(convertToSafetensors(join(FIXTURES, 'malicious.pth'), out)).rejects.toBeInstanceOf(
      CheckpointError,
    );
    const bad = join(dir, 'bad.safetensors');
    await writeSafetensors(bad, new Map<string, TensorData>([['w', makeTensor('F32', [2])]]));
    await writeFile(
      bad,
      Buffer.concat([
        Buffer.from(await import('node:fs').then((fs) => fs.readFileSync(bad))),
        Buffer.from([0]),
      ]),
    );
    await expect(convertToSafetensors(bad, out)).rejects.toMatchObject({
      rule: 'incomplete-buffer',
    });
    expect((await readdir(dir)).sort()).toEqual(['bad.safetensors']);
  });
});
