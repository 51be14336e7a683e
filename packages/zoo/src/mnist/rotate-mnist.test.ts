import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from './load-mnist';
import { MNIST_PIXELS, MNIST_SIDE, type MnistData, selectMnist } from './mnist-data';
import { rotateMnist } from './rotate-mnist';

let digits: MnistData;

beforeAll(async () => {
  const all = await loadMnist();
  // A few images of every class (the files are ordered by digit).
  digits = selectMnist(
    all,
    Array.from({ length: 20 }, (_, i) => i * 499),
  );
});

/** Largest absolute difference between two image sets. */
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('rotateMnist', () => {
  it('is the identity at 0° and keeps labels', () => {
    const out = rotateMnist(digits, 0);
    expect(out.images).toEqual(digits.images);
    expect(out.images).not.toBe(digits.images);
    expect(Array.from(out.labels)).toEqual(Array.from(digits.labels));
    expect(out.count).toBe(digits.count);
  });

  it('rotates 90° counter-clockwise exactly: transpose, then flip rows (numpy rot90)', () => {
    const out = rotateMnist(digits, 90);
    const side = MNIST_SIDE;
    const expected = new Float32Array(digits.images.length);
    for (let n = 0; n < digits.count; n++) {
      for (let r = 0; r < side; r++) {
        for (let c = 0; c < side; c++) {
          // rot90: out[r][c] = in[c][side - 1 - r]
          expected[n * MNIST_PIXELS + r * side + c] =
            digits.images[n * MNIST_PIXELS + c * side + (side - 1 - r)]!;
        }
      }
    }
    expect(maxDiff(out.images, expected)).toBe(0);
    // Counter-clockwise: the top-right corner pixel lands at the top-left.
    const marker = { images: new Float32Array(MNIST_PIXELS), labels: Int32Array.of(0), count: 1 };
    marker.images[side - 1] = 1;
    expect(rotateMnist(marker, 90).images[0]).toBe(1);
  });

  it('comes back (almost) to the start after 360° or four 90° turns', () => {
    expect(maxDiff(rotateMnist(digits, 360).images, digits.images)).toBeLessThan(1e-5);
    let turned = digits;
    for (let i = 0; i < 4; i++) turned = rotateMnist(turned, 90);
    expect(maxDiff(turned.images, digits.images)).toBeLessThan(1e-6);
    // An angle between grid positions interpolates: the ink is about conserved, values stay in [0, 1].
    const out = rotateMnist(digits, 15);
    const ink = (d: Float32Array) => d.reduce((s, v) => s + v, 0);
    expect(ink(out.images) / ink(digits.images)).toBeCloseTo(1, 1);
    expect(Math.max(...out.images)).toBeLessThanOrEqual(1 + 1e-6);
    expect(Math.min(...out.images)).toBeGreaterThanOrEqual(0);
    expect(() => rotateMnist(digits, Number.NaN)).toThrow(/not finite/);
  });
});
