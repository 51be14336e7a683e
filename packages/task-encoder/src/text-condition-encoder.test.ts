import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fnv1a, hashedNgramEmbedding, TextConditionEncoder } from './index';
import { take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // Both are unit vectors.
}

describe('hashedNgramEmbedding', () => {
  it('uses 32-bit FNV-1a', () => {
    // Reference values of FNV-1a 32: "" and "a".
    expect(fnv1a(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv1a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
  });

  it('is deterministic and L2-normalised', () => {
    const embed = hashedNgramEmbedding({ dim: 64, n: 3 });
    const [a, b] = embed(['rotate digits by 30 degrees', 'rotate digits by 30 degrees']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(
      Array.from(hashedNgramEmbedding({ dim: 64, n: 3 })(['rotate digits by 30 degrees'])[0]!),
    ).toEqual(Array.from(a!));
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    const [empty, short] = embed(['', 'a']);
    expect(cosine(empty!, empty!)).toBeCloseTo(1, 5);
    expect(cosine(short!, short!)).toBeCloseTo(1, 5);
    // Case and spacing do not matter by default.
    expect(Array.from(embed(['Rotate  digits BY 30 degrees'])[0]!)).toEqual(Array.from(a!));
  });

  it('puts similar texts closer than unrelated ones', () => {
    const embed = hashedNgramEmbedding({ dim: 256, n: 3 });
    const [base, near, far] = embed([
      'rotate the digits by 30 degrees',
      'rotate the digits by 35 degrees',
      'classify odd against even numbers',
    ]);
    expect(cosine(base!, near!)).toBeGreaterThan(0.7);
    expect(cosine(base!, near!)).toBeGreaterThan(cosine(base!, far!) + 0.4);
  });

  it('refuses bad options', () => {
    expect(() => hashedNgramEmbedding({ dim: 0 })).toThrow(/dim must be a positive integer/);
    expect(() => hashedNgramEmbedding({ n: 1.5 })).toThrow(/n must be a positive integer/);
  });
});

describe('TextConditionEncoder', () => {
  it('projects the supplied embeddings through a Linear named proj', async () => {
    const embed = hashedNgramEmbedding({ dim: 32 });
    const encoder = new TextConditionEncoder({ embed, embeddingDim: 32, outputDim: 4, seed: 1 });
    expect(encoder.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['proj.weight', [4, 32]],
      ['proj.bias', [4]],
    ]);
    const before = tf.memory().numTensors;
    const out = await encoder.encode(['three against the rest', 'odd against even']);
    expect(out.shape).toEqual([2, 4]);
    const v = await take(out);
    expect(tf.memory().numTensors).toBe(before);
    const byHand = await take(
      tf.tidy(() =>
        tf.add(
          tf.matMul(
            tf.tensor2d(embed(['three against the rest'])[0]!, [1, 32]),
            encoder.proj.weight,
            false,
            true,
          ),
          encoder.proj.bias!,
        ),
      ),
    );
    byHand.forEach((x, i) => {
      expect(v[i]).toBeCloseTo(x, 6);
    });
    encoder.dispose();
  });

  it('accepts asynchronous embedding functions and checks what they return', async () => {
    const asyncEmbed = async (texts: string[]) =>
      texts.map((t) => new Float32Array(3).fill(t.length));
    const encoder = new TextConditionEncoder({ embed: asyncEmbed, embeddingDim: 3, outputDim: 2 });
    const out = await encoder.encode(['ab']);
    expect(out.shape).toEqual([1, 2]);
    out.dispose();
    const wrongWidth = new TextConditionEncoder({
      embed: (texts) => texts.map(() => new Float32Array(5)),
      embeddingDim: 3,
      outputDim: 2,
    });
    await expect(wrongWidth.encode(['x'])).rejects.toThrow(/has 5 values, expected embeddingDim 3/);
    const tooFew = new TextConditionEncoder({ embed: () => [], embeddingDim: 3, outputDim: 2 });
    await expect(tooFew.encode(['x'])).rejects.toThrow(/returned 0 vectors for 1 texts/);
    const notFinite = new TextConditionEncoder({
      embed: (texts) => texts.map(() => new Float32Array([0, Number.NaN, 0])),
      embeddingDim: 3,
      outputDim: 2,
    });
    await expect(notFinite.encode(['x'])).rejects.toThrow(/not finite/);
    await expect(encoder.encode([])).rejects.toThrow(/no texts/);
    for (const e of [encoder, wrongWidth, tooFew, notFinite]) e.dispose();
  });
});
