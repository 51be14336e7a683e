import { numel } from '@pgen/checkpoint-io';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Granularity } from './options';
import { relativeError, tensorsBitEqual } from './state-dict-compare';
import { type SyntheticTensor, syntheticZoo } from './synthetic-state-dict';
import { TensorTokenizer } from './tensor-tokenizer';

const tensorArbitrary = fc.record({
  shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }),
  dtype: fc.constantFrom('F32' as const, 'F16' as const, 'BF16' as const, 'F64' as const),
  mean: fc.double({ min: -3, max: 3, noNaN: true }),
  std: fc.double({ min: 0.001, max: 5, noNaN: true }),
  isVariance: fc.boolean(),
});

const caseArbitrary = fc.record({
  tensors: fc.array(tensorArbitrary, { minLength: 1, maxLength: 6 }),
  granularity: fc.constantFrom<Granularity>('layer', 'flat', 'channel'),
  tokenSize: fc.integer({ min: 1, max: 17 }),
  zooSize: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  blockTokens: fc.integer({ min: 1, max: 9 }),
});

type Case = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function zooOf(c: Case) {
  const tensors: SyntheticTensor[] = c.tensors.map((t, i) => ({
    name: t.isVariance ? `block${i}.bn.running_var` : `block${i}.weight`,
    shape: t.shape,
    dtype: t.dtype,
    mean: t.isVariance ? 0 : t.mean,
    std: t.std,
    positive: t.isVariance,
  }));
  fc.pre(tensors.some((t) => numel(t.shape) >= 2));
  return syntheticZoo(tensors, c.zooSize, c.seed);
}

const RUNS = { numRuns: 150 };

describe('round trip on random structures', () => {
  it('is bit-exact without normalisation (F64 values drawn float32-representable)', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const zoo = zooOf(c);
        const tokenizer = TensorTokenizer.fit(zoo, {
          granularity: c.granularity,
          tokenSize: c.tokenSize,
          normalization: 'none',
        });
        const checkpoint = zoo.at(-1)!;
        const decoded = tokenizer.decode(tokenizer.encode(checkpoint));
        expect([...decoded.keys()]).toEqual([...checkpoint.keys()]);
        for (const name of tokenizer.generatedTensors) {
          expect(tensorsBitEqual(decoded.get(name)!, checkpoint.get(name)!), name).toBe(true);
        }
        for (const name of tokenizer.keptAsideTensors) {
          expect(tensorsBitEqual(decoded.get(name)!, zoo[0]!.get(name)!), name).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('is within 1e-6 relative with normalisation, streamed in any block size', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const zoo = zooOf(c);
        const tokenizer = TensorTokenizer.fit(zoo, {
          granularity: c.granularity,
          tokenSize: c.tokenSize,
        });
        const checkpoint = zoo.at(-1)!;
        const { tokens, mask } = tokenizer.encode(checkpoint);
        expect(mask.reduce((s, v) => s + v, 0)).toBe(
          tokenizer.generatedTensors.reduce((s, n) => s + numel(checkpoint.get(n)!.shape), 0),
        );
        const decoder = tokenizer.createDecoder();
        const decoded = new Map();
        const step = c.blockTokens * c.tokenSize;
        for (let i = 0; i < tokens.length; i += step) {
          for (const [name, t] of decoder.push(tokens.subarray(i, i + step))) decoded.set(name, t);
        }
        for (const [name, t] of decoder.finish()) decoded.set(name, t);
        expect([...decoded.keys()]).toEqual([...checkpoint.keys()]);
        for (const name of tokenizer.generatedTensors) {
          expect(
            relativeError(decoded.get(name)!, checkpoint.get(name)!),
            name,
          ).toBeLessThanOrEqual(1e-6);
        }
      }),
      RUNS,
    );
  });
});
