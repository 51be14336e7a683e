import { describe, expect, it } from 'vitest';
import { TokenizerFormatError } from './errors';
import { tensorsBitEqual } from './state-dict-compare';
import { SMALL_CNN, syntheticZoo } from './synthetic-state-dict';
import { TensorTokenizer } from './tensor-tokenizer';

const zoo = syntheticZoo(SMALL_CNN, 3);

describe('toSafetensors / fromSafetensors', () => {
  it('stores statistics as F64 tensors, the template as tensors, the config as metadata', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { granularity: 'channel' });
    const { tensors, metadata } = tokenizer.toSafetensors();
    expect(metadata.format).toBe('pgen.tensor-tokenizer');
    expect(tensors.get('normalization.mean')).toMatchObject({ dtype: 'F64', shape: [8] });
    expect(tensors.get('kept_aside.bn1.num_batches_tracked')!.dtype).toBe('I64');
    expect(Object.values(metadata).every((v) => typeof v === 'string')).toBe(true);
  });

  it('rebuilds a tokenizer that encodes and decodes identically', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { granularity: 'flat', tokenSize: 9, padValue: 2 });
    const { tensors, metadata } = tokenizer.toSafetensors();
    const loaded = TensorTokenizer.fromSafetensors(tensors, metadata);
    expect(loaded.toJSON()).toEqual(tokenizer.toJSON());
    const a = tokenizer.encode(zoo[2]!);
    expect(Array.from(loaded.encode(zoo[2]!).tokens)).toEqual(Array.from(a.tokens));
    const back = loaded.decode(a.tokens);
    for (const [name, tensor] of tokenizer.decode(a.tokens)) {
      expect(tensorsBitEqual(back.get(name)!, tensor), name).toBe(true);
    }
  });

  it('rejects files that are not a saved tokenizer', () => {
    const { tensors, metadata } = TensorTokenizer.fit(zoo).toSafetensors();
    expect(() => TensorTokenizer.fromSafetensors(tensors, {})).toThrow(TokenizerFormatError);
    const config = JSON.parse(metadata['pgen.tensor-tokenizer.config']!);
    const future = {
      ...metadata,
      'pgen.tensor-tokenizer.config': JSON.stringify({ ...config, version: 9 }),
    };
    expect(() => TensorTokenizer.fromSafetensors(tensors, future)).toThrow(/version 9/);
    const noStats = new Map(tensors);
    noStats.delete('normalization.std');
    expect(() => TensorTokenizer.fromSafetensors(noStats, metadata)).toThrow(/normalization.std/);
  });
});
