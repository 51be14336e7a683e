import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContinuousDescriptorEncoder, FourierFeatures } from './index';
import { take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('FourierFeatures', () => {
  it('turns an angle into sin θ, cos θ and its whole harmonics', () => {
    const f = new FourierFeatures({ inputDim: 1, fourierFeatures: 3, periodic: true });
    expect(f.width).toBe(6);
    const [s1, c1, s2, c2, s3, c3] = f.compute([[30]]);
    const t = Math.PI / 6;
    expect([s1, c1, s2, c2, s3, c3].map((v) => Number(v!.toFixed(6)))).toEqual(
      [
        Math.sin(t),
        Math.cos(t),
        Math.sin(2 * t),
        Math.cos(2 * t),
        Math.sin(3 * t),
        Math.cos(3 * t),
      ].map((v) => Number(v.toFixed(6))),
    );
  });

  it('keeps the raw value beside random frequencies for non-periodic inputs', () => {
    const f = new FourierFeatures({ inputDim: 2, fourierFeatures: 4, periodic: [true, false] });
    expect(f.width).toBe(8 + 9);
    const row = f.compute([[90, 0.25]]);
    expect(row[8]).toBeCloseTo(0.25, 7);
    // A random frequency is almost surely not a whole number of turns, unlike the harmonics.
    const shifted = f.compute([[90, 1.25]]);
    expect(Array.from(shifted.slice(9))).not.toEqual(Array.from(row.slice(9)));
  });
});

describe('ContinuousDescriptorEncoder', () => {
  it('encodes angles a whole turn apart identically, in degrees and in radians', async () => {
    const degrees = new ContinuousDescriptorEncoder({ outputDim: 8, periodic: true, seed: 2 });
    const before = tf.memory().numTensors;
    const out = degrees.encode([30, 390, -330, 45]);
    expect(out.shape).toEqual([4, 8]);
    const v = await take(out);
    expect(tf.memory().numTensors).toBe(before);
    expect(v.slice(8, 16)).toEqual(v.slice(0, 8));
    expect(v.slice(16, 24)).toEqual(v.slice(0, 8));
    expect(v.slice(24, 32)).not.toEqual(v.slice(0, 8));

    const radians = new ContinuousDescriptorEncoder({
      outputDim: 8,
      periodic: true,
      angleUnit: 'radians',
      seed: 2,
    });
    const r = await take(radians.encode([[Math.PI / 6], [Math.PI / 6 + 2 * Math.PI]]));
    for (let i = 0; i < 8; i++) {
      expect(r[8 + i]).toBeCloseTo(r[i]!, 5);
      expect(r[i]).toBeCloseTo(v[i]!, 5); // π/6 rad is 30°.
    }
    degrees.dispose();
    radians.dispose();
  });

  it('does not wrap non-periodic values', async () => {
    const encoder = new ContinuousDescriptorEncoder({ inputDim: 2, outputDim: 4, seed: 1 });
    const v = await take(
      encoder.encode([
        [0.5, 1],
        [360.5, 1],
      ]),
    );
    expect(v.slice(4)).not.toEqual(v.slice(0, 4));
    expect(encoder.namedParameters().map(([n]) => n)).toEqual([
      'mlp.0.weight',
      'mlp.0.bias',
      'mlp.2.weight',
      'mlp.2.bias',
    ]);
    encoder.dispose();
  });

  it('refuses descriptors of the wrong width, non-finite values and bad options', () => {
    const encoder = new ContinuousDescriptorEncoder({ inputDim: 2, outputDim: 4 });
    expect(() => encoder.encode([[1]])).toThrow(/descriptor 0 has 1 values, expected 2/);
    expect(() => encoder.encode([1, 2])).toThrow(/one array of 2 values per task/);
    expect(() => encoder.encode([[1, Number.NaN]])).toThrow(/non-finite/);
    expect(() => encoder.encode([])).toThrow(/no descriptors/);
    expect(
      () => new ContinuousDescriptorEncoder({ inputDim: 2, outputDim: 4, periodic: [true] }),
    ).toThrow(/periodic has 1 flags for inputDim 2/);
    expect(
      () =>
        new ContinuousDescriptorEncoder({
          outputDim: 4,
          angleUnit: 'turns' as unknown as 'degrees',
        }),
    ).toThrow(/angleUnit/);
    encoder.dispose();
  });
});
