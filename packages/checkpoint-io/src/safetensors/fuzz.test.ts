import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors';
import type { TensorData } from '../state-dict';
import { makeTensor } from '../state-dict';
import { FIXTURES, seededRandom } from '../test-support/fixtures';
import { parseSafetensors } from './reader';
import { serializeSafetensors } from './writer';

type Mutation = (bytes: Uint8Array, random: () => number) => Uint8Array;
const pick = (random: () => number, n: number) => Math.floor(random() * n);

/** End of the header as the length prefix claims it, clamped to the file (mutations may break it). */
const headerEnd = (bytes: Uint8Array) =>
  bytes.length < 8
    ? bytes.length
    : Math.min(
        bytes.length,
        8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)),
      );

/** Mutations aimed at the header, where the rules live, and at the file's length. */
const MUTATIONS: Mutation[] = [
  (b, r) => {
    const out = b.slice();
    out[pick(r, Math.min(out.length, headerEnd(b)))] = pick(r, 256);
    return out;
  },
  (b, r) => {
    const out = b.slice();
    const i = pick(r, Math.min(out.length, headerEnd(b)));
    out[i] = '{}[],:"0123456789-e.'.charCodeAt(pick(r, 21));
    return out;
  },
  (b, r) => b.slice(0, pick(r, b.length)),
  (b, r) => {
    const extra = new Uint8Array(1 + pick(r, 16)).map(() => pick(r, 256));
    return new Uint8Array([...b, ...extra]);
  },
  (b, r) => {
    const out = b.slice();
    if (out.length < 8) return out;
    new DataView(out.buffer).setUint32(0, pick(r, 2 ** 32), true);
    return out;
  },
  (b, r) => {
    const i = pick(r, headerEnd(b));
    return new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]);
  },
  (b, r) => {
    // Replace a digit run in the header, e.g. an offset or a shape entry.
    if (b.length < 8) return b;
    const text = new TextDecoder('latin1').decode(b.subarray(8, headerEnd(b)));
    const runs = [...text.matchAll(/\d+/g)];
    if (runs.length === 0) return b;
    const m = runs[pick(r, runs.length)]!;
    const replacement = [
      '0',
      '1',
      '18446744073709551615',
      '9007199254740993',
      '-1',
      '1e3',
      '4294967296',
    ][pick(r, 7)]!;
    const json = text.slice(0, m.index) + replacement + text.slice(m.index! + m[0].length);
    const header = Buffer.from(json, 'latin1');
    const out = new Uint8Array(8 + header.length + b.length - headerEnd(b));
    new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
    out.set(header, 8);
    out.set(b.subarray(headerEnd(b)), 8 + header.length);
    return out;
  },
];

describe('safetensors fuzzing', () => {
  const seeds = [
    new Uint8Array(readFileSync(join(FIXTURES, 'mixed.safetensors'))),
    serializeSafetensors(
      new Map<string, TensorData>([
        ['a', makeTensor('F32', [2, 3])],
        ['b', makeTensor('BF16', [4])],
        ['c', makeTensor('I64', [])],
      ]),
      { k: 'v' },
    ),
  ];

  it('5000 seeded random mutations of valid files only ever raise typed errors', () => {
    const random = seededRandom(20240601);
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      let bytes = seeds[i % seeds.length]!;
      const rounds = 1 + pick(random, 3);
      for (let k = 0; k < rounds; k++)
        bytes = MUTATIONS[pick(random, MUTATIONS.length)]!(bytes, random);
      try {
        const { tensors } = parseSafetensors(bytes, 'fuzz.safetensors');
        // Whatever is accepted must be self-consistent: it serializes and parses back.
        for (const t of tensors.values())
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        expect(error.file).toBe('fuzz.safetensors');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
