import type { TensorData } from '@pgen/checkpoint-io';
import { describe, expect, it } from 'vitest';
import { StateDictMismatchError, TokenCountMismatchError } from './errors';
import type { Granularity } from './options';
import { tensorsBitEqual } from './state-dict-compare';
import { SMALL_CNN, syntheticZoo } from './synthetic-state-dict';
import { TensorTokenizer } from './tensor-tokenizer';

const GRANULARITIES: Granularity[] = ['layer', 'flat', 'channel'];
const zoo = syntheticZoo(SMALL_CNN, 3);

describe('encodeStream', () => {
  for (const granularity of GRANULARITIES) {
    it(`yields blocks that tile the tokens of encode() (${granularity})`, () => {
      const tokenizer = TensorTokenizer.fit(zoo, { granularity, tokenSize: 5, padValue: 7 });
      const whole = tokenizer.encode(zoo[1]!);
      let next = 0;
      const completed: string[] = [];
      for (const block of tokenizer.encodeStream(zoo[1]!)) {
        expect(block.firstToken).toBe(next);
        const range = [next * 5, (next + block.tokenCount) * 5] as const;
        expect(Array.from(block.tokens)).toEqual(Array.from(whole.tokens.subarray(...range)));
        expect(Array.from(block.mask)).toEqual(Array.from(whole.mask.subarray(...range)));
        expect(Array.from(block.tensorIndex)).toEqual(
          Array.from(whole.tensorIndex.subarray(next, next + block.tokenCount)),
        );
        completed.push(...block.completedTensors);
        next += block.tokenCount;
      }
      expect(next).toBe(tokenizer.tokenCount);
      expect(completed).toEqual(tokenizer.generatedTensors);
    });
  }

  it('takes [name, tensor] pairs in state-dict order and rejects them out of order', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 5 });
    const pairs = [...zoo[1]!];
    expect(Array.from(tokenizer.encode(pairs).tokens)).toEqual(
      Array.from(tokenizer.encode(zoo[1]!).tokens),
    );
    const swapped = [pairs[1]!, pairs[0]!, ...pairs.slice(2)];
    expect(() => [...tokenizer.encodeStream(swapped)]).toThrow(StateDictMismatchError);
    expect(() => [...tokenizer.encodeStream(pairs.slice(0, 3))]).toThrow(
      /state dict lacks tensor "bn1.running_mean"/,
    );
  });
});

describe('StreamingDecoder', () => {
  for (const granularity of GRANULARITIES) {
    it(`emits every tensor in state-dict order whatever the block sizes (${granularity})`, () => {
      const tokenizer = TensorTokenizer.fit(zoo, { granularity, tokenSize: 3 });
      const { tokens } = tokenizer.encode(zoo[2]!);
      const expected = tokenizer.decode(tokens);
      for (const blockTokens of [1, 2, 7, tokenizer.tokenCount]) {
        const decoder = tokenizer.createDecoder();
        const emitted: Array<[string, TensorData]> = [];
        for (let t = 0; t < tokenizer.tokenCount; t += blockTokens) {
          emitted.push(
            ...decoder.push(
              tokens.slice(t * 3, Math.min(t + blockTokens, tokenizer.tokenCount) * 3),
            ),
          );
        }
        emitted.push(...decoder.finish());
        expect(emitted.map(([name]) => name)).toEqual([...expected.keys()]);
        for (const [name, tensor] of emitted) {
          expect(tensorsBitEqual(tensor, expected.get(name)!), name).toBe(true);
        }
      }
    });
  }

  it('emits a tensor as soon as its last token arrives', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 1000 });
    const decoder = tokenizer.createDecoder();
    const { tokens } = tokenizer.encode(zoo[0]!);
    expect(decoder.push(tokens.subarray(0, 1000)).map(([n]) => n)).toEqual(['conv1.weight']);
  });

  it('decodes what encodeStream yields, block by block', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { granularity: 'flat', tokenSize: 11 });
    const decoder = tokenizer.createDecoder();
    const decoded = new Map<string, TensorData>();
    for (const block of tokenizer.encodeStream(zoo[1]!)) {
      for (const [name, tensor] of decoder.push(block.tokens)) decoded.set(name, tensor);
    }
    for (const [name, tensor] of decoder.finish()) decoded.set(name, tensor);
    expect([...decoded.keys()]).toEqual([...zoo[1]!.keys()]);
  });

  it('rejects too many tokens, partial tokens, and too few tokens at finish', () => {
    const tokenizer = TensorTokenizer.fit(zoo, { tokenSize: 4 });
    const all = new Float32Array(tokenizer.tokenCount * 4);
    expect(() => tokenizer.createDecoder().push(new Float32Array(6))).toThrow(
      'a token block must hold whole tokens of 4 values, got 6 values',
    );
    const decoder = tokenizer.createDecoder();
    decoder.push(all);
    expect(() => decoder.push(new Float32Array(4))).toThrow(TokenCountMismatchError);
    const short = tokenizer.createDecoder();
    short.push(all.subarray(4));
    expect(() => short.finish()).toThrow(
      `the fitted layout has ${tokenizer.tokenCount} tokens of 4 values, got ${tokenizer.tokenCount - 1} tokens`,
    );
  });
});
