import type { StateDict } from '@pgen/checkpoint-io';
import { describe, expect, it } from 'vitest';
import { ElementMoments } from './element-moments';
import { TokenizerFormatError } from './errors';
import { denormalizeInto, NormalizationStatistics, normalizeInto } from './normalizer';
import { SMALL_CNN, syntheticZoo } from './synthetic-state-dict';
import { TensorTokenizer } from './tensor-tokenizer';

const zoo = syntheticZoo(SMALL_CNN, 4);

function f32(checkpoint: StateDict, name: string): Float32Array {
  return checkpoint.get(name)!.data as Float32Array;
}

describe('ElementMoments', () => {
  it('gives each element its own mean and population std over the arrays added', () => {
    const moments = new ElementMoments();
    for (const row of [
      [1, 10, 5],
      [3, 10, 5],
      [5, 40, 5],
    ])
      moments.add(row);
    expect(Array.from(moments.mean)).toEqual([3, 20, 5]);
    const std = moments.std;
    expect(std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(std[1]).toBeCloseTo(Math.sqrt(200), 12);
    expect(std[2]).toBe(0);
    expect(() => moments.add([1, 2])).toThrow(RangeError);
  });
});

describe("'element-zscore' normalisation", () => {
  it('replaces a constant element std by the tensor std and inverts exactly', () => {
    const stats = new NormalizationStatistics('element-zscore', 0.05);
    stats.add([0, 2, 7]);
    stats.add([2, 2, 9]);
    const norm = stats.finish();
    expect(Array.from(norm.elementMean!)).toEqual([1, 2, 8]);
    expect(norm.elementStd![0]).toBeCloseTo(1, 12);
    expect(norm.elementStd![1]).toBeCloseTo(norm.std, 12);
    expect(norm.std).toBeGreaterThan(1);
    const values = new Float64Array([3, 2, 8]);
    const tokens = new Float32Array(5);
    normalizeInto(norm, values, 1, tokens, 3, 2);
    expect(tokens[3]).toBe(0);
    expect(tokens[4]).toBe(0);
    normalizeInto(norm, values, 0, tokens, 0, 1);
    expect(tokens[0]).toBeCloseTo(2, 6);
    const back = new Float64Array(3);
    denormalizeInto(norm, tokens, 0, back, 0, 1, 0);
    denormalizeInto(norm, tokens, 3, back, 1, 2, 0);
    expect(Array.from(back)).toEqual([3, 2, 8]);
  });

  it('z-scores each element of the selected tensors over the zoo, and only those', () => {
    const tokenizer = TensorTokenizer.fit(zoo, {
      granularity: 'channel',
      elementwise: ['**.running_mean'],
    });
    const modes = Object.fromEntries(
      tokenizer.toJSON().tensors.map((t) => [t.name, t.normalization.mode]),
    );
    expect(modes['bn1.running_mean']).toBe('element-zscore');
    expect(modes['bn1.running_var']).toBe('log-zscore');
    expect(modes['conv1.weight']).toBe('zscore');
    const name = 'bn1.running_mean';
    const entry = tokenizer.toJSON().tensors.find((t) => t.name === name)!;
    const encoded = zoo.map((c) => tokenizer.encode(c).tokens);
    const tokenSize = tokenizer.toJSON().tokenSize;
    for (let e = 0; e < 8; e++) {
      const z = encoded.map((tokens) => tokens[entry.tokenStart * tokenSize + e]!);
      const mean = z.reduce((a, b) => a + b, 0) / z.length;
      const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 4);
    }
    const decoded = tokenizer.decode(encoded[1]!);
    const original = f32(zoo[1]!, name);
    const back = f32(decoded, name);
    for (let e = 0; e < 8; e++) expect(back[e]).toBeCloseTo(original[e]!, 5);
  });

  it('is saved with its per-element statistics and reloads to the same encoding', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { elementwise: ['bn1.*', 'fc.bias'] });
    const { tensors, metadata } = tokenizer.toSafetensors();
    expect(tensors.get('normalization.element_std.fc.bias')).toMatchObject({
      dtype: 'F64',
      shape: [10],
    });
    const loaded = TensorTokenizer.fromSafetensors(tensors, metadata);
    expect(loaded.toJSON()).toEqual(tokenizer.toJSON());
    const a = tokenizer.encode(zoo[3]!).tokens;
    expect(Array.from(loaded.encode(zoo[3]!).tokens)).toEqual(Array.from(a));
    expect(Array.from(f32(loaded.decode(a), 'fc.bias'))).toEqual(
      Array.from(f32(tokenizer.decode(a), 'fc.bias')),
    );
    const missing = new Map(tensors);
    missing.delete('normalization.element_mean.bn1.weight');
    expect(() => TensorTokenizer.fromSafetensors(missing, metadata)).toThrow(TokenizerFormatError);
    expect(() => TensorTokenizer.fromSafetensors(missing, metadata)).toThrow(
      /element_mean\.bn1\.weight/,
    );
  });
});
