import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCheckpoint, type StateDict, type TensorData } from '@pgen/checkpoint-io';
import { afterAll, describe, expect, it } from 'vitest';
import type { Granularity } from './options';
import { relativeError, tensorsBitEqual } from './state-dict-compare';
import { TensorTokenizer } from './tensor-tokenizer';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/torch');
const FILES = [
  'shufflenet_v2_x0_5.safetensors',
  'shufflenet_v2_x0_5.pth',
  'mixed.safetensors',
  'odd_tensors.pth',
  'odd_tensors_legacy.pth',
  'nested_checkpoint.pth',
  'gpt2_tiny_base.safetensors',
];
const GRANULARITIES: Granularity[] = ['layer', 'flat', 'channel'];

async function load(file: string): Promise<StateDict> {
  return (await readCheckpoint(path.join(FIXTURES, file))).tensors;
}

/** Tokens are float32: an F64 tensor comes back as its values rounded to float32. */
function roundedToFloat32(tensor: TensorData): TensorData {
  if (tensor.dtype !== 'F64') return tensor;
  return { ...tensor, data: Float64Array.from(tensor.data as Float64Array, Math.fround) };
}

/** A second zoo member: every float value scaled, so the zoo statistics span two checkpoints. */
function scaled(stateDict: StateDict): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of stateDict) {
    const data = t.data;
    if (t.dtype === 'F32' || t.dtype === 'F64') {
      out.set(name, { ...t, data: (data as Float32Array).map((v) => v * 1.25) } as TensorData);
    } else out.set(name, t);
  }
  return out;
}

describe.each(FILES)('PyTorch fixture %s', (file) => {
  for (const granularity of GRANULARITIES) {
    it(`round-trips bit for bit without normalisation, integers included (${granularity})`, async () => {
      const checkpoint = await load(file);
      const tokenizer = TensorTokenizer.fit([checkpoint, scaled(checkpoint)], {
        granularity,
        tokenSize: granularity === 'channel' ? undefined : 64,
        normalization: 'none',
        includeIntegers: true,
      });
      const decoded = tokenizer.decode(tokenizer.encode(checkpoint, file));
      expect([...decoded.keys()]).toEqual([...checkpoint.keys()]);
      for (const [name, tensor] of checkpoint) {
        expect(tensorsBitEqual(decoded.get(name)!, roundedToFloat32(tensor)), name).toBe(true);
      }
    });

    it(`round-trips within 1e-6 relative with normalisation (${granularity})`, async () => {
      const checkpoint = await load(file);
      const tokenizer = TensorTokenizer.fit([scaled(checkpoint), checkpoint], {
        granularity,
        tokenSize: granularity === 'channel' ? undefined : 64,
      });
      const { tokens } = tokenizer.encode(checkpoint, file);
      expect(tokens.every(Number.isFinite)).toBe(true);
      const decoded = tokenizer.decode(tokens);
      expect([...decoded.keys()]).toEqual([...checkpoint.keys()]);
      for (const name of tokenizer.generatedTensors) {
        const error = relativeError(decoded.get(name)!, checkpoint.get(name)!);
        expect(error, name).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});

describe('ShuffleNetV2 fixture', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensor-tokenizer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps num_batches_tracked aside and log-normalises running_var', async () => {
    const checkpoint = await load('shufflenet_v2_x0_5.pth');
    const tokenizer = TensorTokenizer.fit([checkpoint]);
    const config = tokenizer.toJSON();
    const kept = config.keptAside.map((t) => t.name);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((name) => name.endsWith('num_batches_tracked'))).toBe(true);
    const modes = new Map(config.tensors.map((t) => [t.name, t.normalization.mode]));
    expect(modes.get('conv1.1.running_var')).toBe('log-zscore');
    expect(modes.get('conv1.0.weight')).toBe('zscore');
  });

  it('saves to one safetensors file and loads back to the same tokenizer', async () => {
    const checkpoint = await load('shufflenet_v2_x0_5.safetensors');
    const tokenizer = TensorTokenizer.fit([checkpoint, scaled(checkpoint)], { tokenSize: 256 });
    const file = path.join(dir, 'tokenizer.safetensors');
    await tokenizer.save(file);
    const saved = await readCheckpoint(file);
    expect(saved.format).toBe('safetensors');
    expect(saved.metadata.format).toBe('pgen.tensor-tokenizer');
    const loaded = await TensorTokenizer.load(file);
    expect(loaded.toJSON()).toEqual(tokenizer.toJSON());
    const { tokens } = tokenizer.encode(checkpoint);
    const a = tokenizer.decode(tokens);
    const b = loaded.decode(tokens);
    for (const [name, tensor] of a) expect(tensorsBitEqual(b.get(name)!, tensor), name).toBe(true);
  });
});
