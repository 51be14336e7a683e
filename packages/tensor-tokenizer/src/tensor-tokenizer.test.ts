import type { StateDict } from '@pgen/checkpoint-io';
import { describe, expect, it } from 'vitest';
import {
  NegativeValueError,
  NonFiniteValueError,
  StateDictMismatchError,
  TokenCountMismatchError,
  TokenizerConfigError,
  ZooMismatchError,
} from './errors';
import type { Granularity } from './options';
import { relativeError, tensorsBitEqual } from './state-dict-compare';
import { SMALL_CNN, syntheticStateDict, syntheticZoo } from './synthetic-state-dict';
import { TensorTokenizer } from './tensor-tokenizer';

const GRANULARITIES: Granularity[] = ['layer', 'flat', 'channel'];

/** Kept-aside tensors decode to the template's (checkpoint #0 of the zoo), not the input's. */
function expected(original: StateDict, template: StateDict | undefined, name: string) {
  return template && !template.has(name) ? original.get(name)! : (template ?? original).get(name)!;
}

function expectBitExact(decoded: StateDict, original: StateDict, keptFrom?: StateDict) {
  expect([...decoded.keys()]).toEqual([...original.keys()]);
  for (const [name, tensor] of decoded) {
    expect(tensorsBitEqual(tensor, expected(original, keptFrom, name)), name).toBe(true);
  }
}

function expectClose(decoded: StateDict, original: StateDict, keptFrom?: StateDict) {
  expect([...decoded.keys()]).toEqual([...original.keys()]);
  for (const [name, tensor] of decoded) {
    expect(relativeError(tensor, expected(original, keptFrom, name)), name).toBeLessThanOrEqual(
      1e-6,
    );
  }
}

describe('TensorTokenizer.fit', () => {
  const zoo = syntheticZoo(SMALL_CNN, 4);

  it('generates floating tensors with more than one element and keeps the rest aside', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 16 });
    expect(tokenizer.generatedTensors).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'conv2.weight',
      'fc.weight',
      'fc.bias',
    ]);
    expect(tokenizer.keptAsideTensors).toEqual(['bn1.num_batches_tracked', 'logit_scale']);
  });

  it('honours include and exclude globs', () => {
    const tokenizer = TensorTokenizer.fit(zoo, {
      tokenSize: 16,
      include: ['conv*.weight', 'fc.*'],
      exclude: ['fc.bias'],
    });
    expect(tokenizer.generatedTensors).toEqual(['conv1.weight', 'conv2.weight', 'fc.weight']);
  });

  it('z-scores each tensor over the whole zoo and log-transforms running_var', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 16 });
    const config = tokenizer.toJSON();
    const fc = config.tensors.find((t) => t.name === 'fc.weight')!.normalization;
    const all = zoo.flatMap((sd) => [...(sd.get('fc.weight')!.data as Float32Array)]);
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const std = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length);
    expect(fc.mode).toBe('zscore');
    expect(fc.mean).toBeCloseTo(mean, 12);
    expect(fc.std).toBeCloseTo(std, 12);
    expect(config.tensors.find((t) => t.name === 'bn1.running_var')!.normalization.mode).toBe(
      'log-zscore',
    );
  });

  it('encodes a tensor that is constant over the zoo to zeros and decodes it exactly', () => {
    const data = new Float32Array(15).fill(0.3);
    const constant: StateDict = new Map([['w', { dtype: 'F32', shape: [5, 3], data }]]);
    const tokenizer = TensorTokenizer.fit([constant, constant], { tokenSize: 4 });
    const { tokens, mask } = tokenizer.encode(constant);
    expect(tokenizer.tokenCount).toBe(4);
    expect(tokens.every((v) => v === 0)).toBe(true);
    expect(mask.reduce((s, v) => s + v, 0)).toBe(15);
    expectBitExact(tokenizer.decode(tokens), constant);
  });
});

describe('round trip', () => {
  const zoo = syntheticZoo(SMALL_CNN, 3);
  const checkpoint = zoo[1]!;
  const template = new Map(
    ['bn1.num_batches_tracked', 'logit_scale'].map((name) => [name, zoo[0]!.get(name)!]),
  );

  for (const granularity of GRANULARITIES) {
    it(`is bit-exact without normalisation (${granularity})`, () => {
      const tokenizer = TensorTokenizer.fit(zoo, {
        granularity,
        tokenSize: 7,
        normalization: 'none',
      });
      expectBitExact(tokenizer.decode(tokenizer.encode(checkpoint)), checkpoint, template);
    });

    it(`is within 1e-6 relative with normalisation (${granularity})`, () => {
      const tokenizer = TensorTokenizer.fit(zoo, { granularity, tokenSize: 7 });
      const { tokens } = tokenizer.encode(checkpoint);
      expect(tokens.every(Number.isFinite)).toBe(true);
      expectClose(tokenizer.decode(tokens), checkpoint, template);
    });
  }

  it('restores F16, BF16 and F64 dtypes', () => {
    const tensors = [
      { name: 'a', shape: [4, 6], dtype: 'F16' as const },
      { name: 'b', shape: [9], dtype: 'BF16' as const },
      { name: 'c', shape: [3, 3], dtype: 'F64' as const },
    ];
    const halfZoo = syntheticZoo(tensors, 3);
    const raw = TensorTokenizer.fit(halfZoo, { tokenSize: 5, normalization: 'none' });
    expectBitExact(raw.decode(raw.encode(halfZoo[0]!)), halfZoo[0]!);
    const normalised = TensorTokenizer.fit(halfZoo, { tokenSize: 5 });
    const decoded = normalised.decode(normalised.encode(halfZoo[2]!));
    expect([...decoded.values()].map((t) => t.dtype)).toEqual(['F16', 'BF16', 'F64']);
    // Half-precision values survive normalisation exactly: the error is far below half an ulp.
    expect(tensorsBitEqual(decoded.get('a')!, halfZoo[2]!.get('a')!)).toBe(true);
    expect(tensorsBitEqual(decoded.get('b')!, halfZoo[2]!.get('b')!)).toBe(true);
    expect(relativeError(decoded.get('c')!, halfZoo[2]!.get('c')!)).toBeLessThan(1e-6);
  });

  it('decodes arbitrary tokens to positive running_var', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 8 });
    const tokens = new Float32Array(tokenizer.tokenCount * 8).fill(-50);
    const variance = tokenizer.decode(tokens).get('bn1.running_var')!.data as Float32Array;
    expect(variance.every((v) => v > 0)).toBe(true);
  });

  it('pads with padValue and marks padding in the mask', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 7, padValue: -9 });
    const { tokens, mask, shape } = tokenizer.encode(checkpoint);
    expect(shape).toEqual([tokenizer.tokenCount, 7]);
    for (let i = 0; i < tokens.length; i++) expect(mask[i] === 0).toBe(tokens[i] === -9);
  });

  it('keeps kept-aside tensors from the first checkpoint and ignores the tokens for them', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 16 });
    const decoded = tokenizer.decode(tokenizer.encode(zoo[2]!));
    expect(tensorsBitEqual(decoded.get('logit_scale')!, zoo[0]!.get('logit_scale')!)).toBe(true);
    expect(decoded.get('bn1.num_batches_tracked')!.dtype).toBe('I64');
  });

  for (const granularity of GRANULARITIES) {
    it(`round-trips empty tensors when minElements lets them in (${granularity})`, () => {
      const tensors = [
        { name: 'w', shape: [3, 2] },
        { name: 'empty', shape: [0, 4] },
        { name: 'tail', shape: [0] },
      ];
      const emptyZoo = syntheticZoo(tensors, 2);
      const tokenizer = TensorTokenizer.fit(emptyZoo, {
        granularity,
        tokenSize: 4,
        minElements: 0,
      });
      expect(tokenizer.generatedTensors).toEqual(['w', 'empty', 'tail']);
      expectClose(tokenizer.decode(tokenizer.encode(emptyZoo[1]!)), emptyZoo[1]!);
    });
  }

  it('generates integer tensors when asked, rounding them back', () => {
    const tensors = [
      { name: 'w', shape: [6], dtype: 'F32' as const },
      { name: 'idx', shape: [3, 4], dtype: 'I32' as const },
      { name: 'flags', shape: [5], dtype: 'BOOL' as const },
    ];
    const intZoo = syntheticZoo(tensors, 3);
    const tokenizer = TensorTokenizer.fit(intZoo, { tokenSize: 4, includeIntegers: true });
    expect(tokenizer.generatedTensors).toEqual(['w', 'idx', 'flags']);
    expectClose(tokenizer.decode(tokenizer.encode(intZoo[1]!)), intZoo[1]!);
    const decoded = tokenizer.decode(tokenizer.encode(intZoo[1]!));
    expect(tensorsBitEqual(decoded.get('idx')!, intZoo[1]!.get('idx')!)).toBe(true);
    expect(tensorsBitEqual(decoded.get('flags')!, intZoo[1]!.get('flags')!)).toBe(true);
  });
});

describe('errors', () => {
  const zoo = syntheticZoo(SMALL_CNN, 3);

  function withTensor(
    sd: StateDict,
    name: string,
    update: Partial<{ shape: number[]; dtype: 'F16' }>,
  ) {
    const copy = new Map(sd);
    const t = sd.get(name)!;
    const shape = update.shape ?? t.shape;
    if (update.dtype) copy.set(name, { dtype: 'F16', shape, data: new Uint16Array(t.data.length) });
    else copy.set(name, { ...t, shape });
    return copy;
  }

  it('names the checkpoint and tensor of a shape mismatch', () => {
    const bad = withTensor(zoo[2]!, 'fc.weight', { shape: [20, 32] });
    expect(() =>
      TensorTokenizer.fit([zoo[0]!, zoo[1]!, bad], { checkpointNames: ['a', 'b', 'c.pth'] }),
    ).toThrow(
      new ZooMismatchError(
        'checkpoint #2 ("c.pth"): tensor "fc.weight" has shape [20, 32], checkpoint #0 ("a") has [10, 64]',
      ),
    );
  });

  it('names a dtype mismatch, a missing and an extra tensor', () => {
    const f16 = withTensor(zoo[1]!, 'conv1.weight', { dtype: 'F16' });
    expect(() => TensorTokenizer.fit([zoo[0]!, f16])).toThrow(
      /checkpoint #1: tensor "conv1.weight" is F16, checkpoint #0 has F32/,
    );
    const missing = new Map(zoo[1]!);
    missing.delete('bn1.bias');
    expect(() => TensorTokenizer.fit([zoo[0]!, missing])).toThrow(
      /checkpoint #1 lacks tensor "bn1.bias"/,
    );
    const extra = new Map(zoo[1]!).set('head.weight', zoo[1]!.get('fc.weight')!);
    expect(() => TensorTokenizer.fit([zoo[0]!, extra])).toThrow(
      /checkpoint #1 has tensor "head.weight" that checkpoint #0 lacks/,
    );
  });

  it('rejects NaN and Infinity in a checkpoint, at fit and at encode', () => {
    const poisoned = syntheticStateDict(SMALL_CNN, 99);
    (poisoned.get('conv2.weight')!.data as Float32Array)[17] = Number.NaN;
    expect(() => TensorTokenizer.fit([zoo[0]!, poisoned])).toThrow(NonFiniteValueError);
    expect(() => TensorTokenizer.fit([zoo[0]!, poisoned])).toThrow(
      /checkpoint #1: tensor "conv2.weight" holds NaN at element 17/,
    );
    const tokenizer = TensorTokenizer.fit(zoo);
    (poisoned.get('conv2.weight')!.data as Float32Array)[17] = Number.POSITIVE_INFINITY;
    expect(() => tokenizer.encode(poisoned)).toThrow(/"conv2.weight" holds Infinity at element 17/);
  });

  it('rejects a negative running_var', () => {
    const negative = syntheticStateDict(SMALL_CNN, 5);
    (negative.get('bn1.running_var')!.data as Float32Array)[3] = -1;
    expect(() => TensorTokenizer.fit([negative])).toThrow(NegativeValueError);
  });

  it('rejects tokens whose count does not match the layout', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 16 });
    const short = new Float32Array((tokenizer.tokenCount - 1) * 16);
    expect(() => tokenizer.decode(short)).toThrow(TokenCountMismatchError);
    expect(() => tokenizer.decode(short)).toThrow(
      `the fitted layout has ${tokenizer.tokenCount} tokens of 16 values (${tokenizer.tokenCount * 16} values), got ${short.length} values (${tokenizer.tokenCount - 1} tokens)`,
    );
    expect(() => tokenizer.decode(new Float32Array(tokenizer.tokenCount * 16 + 3))).toThrow(
      TokenCountMismatchError,
    );
  });

  it('rejects a state dict that does not match the fitted layout', () => {
    const tokenizer = TensorTokenizer.fit(zoo);
    const missing = new Map(zoo[0]!);
    missing.delete('fc.bias');
    expect(() => tokenizer.encode(missing)).toThrow(StateDictMismatchError);
    expect(() => tokenizer.encode(withTensor(zoo[0]!, 'fc.weight', { shape: [64, 10] }))).toThrow(
      'state dict: tensor "fc.weight" is F32 [64, 10], the tokenizer was fitted on F32 [10, 64]',
    );
  });

  it('rejects an empty zoo, an empty selection and a bad token size', () => {
    expect(() => TensorTokenizer.fit([])).toThrow(TokenizerConfigError);
    expect(() => TensorTokenizer.fit(zoo, { include: ['nothing.*'] })).toThrow(/no tensor/);
    expect(() => TensorTokenizer.fit(zoo, { tokenSize: 0 })).toThrow(/tokenSize/);
  });
});
