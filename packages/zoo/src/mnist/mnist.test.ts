import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryTaskView, parseTaskCode, randomTaskCodes } from './binary-task';
import { loadMnist } from './load-mnist';
import { countLabels, MNIST_PIXELS, type MnistData } from './mnist-data';
import { splitMnist } from './split-mnist';

let all: MnistData;
/** Order-sensitive digest (deep equality of 1.5M floats is slow in vitest). */
const checksum = (values: Float32Array) =>
  values.reduce((h, v, i) => (h * 31 + v * 255 * (1 + (i % 7))) % 1_000_000_007, 0);
beforeAll(async () => {
  all = await loadMnist();
});

describe('loadMnist', () => {
  it('reads all 10,000 digits in file order with labels and [0, 1] pixels', () => {
    expect(all.count).toBe(10_000);
    expect(all.images.length).toBe(10_000 * MNIST_PIXELS);
    expect(countLabels(all)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(all.labels[0]).toBe(0);
    expect(all.labels[9_999]).toBe(9);
    expect(Math.min(...all.images.subarray(0, 50_000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all.images.subarray(0, 50_000))).toBeLessThanOrEqual(1);
  });

  describe('bad files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pgen-mnist-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const image = () => Array.from({ length: MNIST_PIXELS }, () => 0.5);
    async function writeDigits(override: Record<number, string | null>): Promise<void> {
      for (let d = 0; d < 10; d++) {
        const path = join(dir, `${d}.json`);
        const text = d in override ? override[d] : JSON.stringify({ data: image() });
        await rm(path, { force: true });
        if (text !== null) await writeFile(path, text!);
      }
    }

    it('names a missing digit file', async () => {
      await writeDigits({ 3: null });
      await expect(loadMnist({ dir, expectedTotal: false })).rejects.toThrow(
        /3\.json: cannot read/,
      );
    });
    it('names a file whose data is not whole images', async () => {
      await writeDigits({ 5: JSON.stringify({ data: [0, 1] }) });
      await expect(loadMnist({ dir, expectedTotal: false })).rejects.toThrow(
        /5\.json.*multiple of 784/,
      );
    });
    it('refuses values outside [0, 1] and wrong totals', async () => {
      const bad = image();
      bad[7] = 3;
      await writeDigits({ 1: JSON.stringify({ data: bad }) });
      const error = await loadMnist({ dir, expectedTotal: false }).catch((e) => e);
      expect(error.userFacing).toBe(true);
      expect(error.message).toMatch(/1\.json: value 7/);
      await writeDigits({});
      await expect(loadMnist({ dir })).rejects.toThrow(/hold 10 images, expected 10000/);
    });
  });
});

describe('splitMnist', () => {
  it('is a deterministic, stratified 8,000/2,000 partition', () => {
    const a = splitMnist(all);
    const b = splitMnist(all, { seed: 0 });
    expect(a.train.count).toBe(8_000);
    expect(a.test.count).toBe(2_000);
    expect(Array.from(a.test.labels)).toEqual(Array.from(b.test.labels));
    expect(checksum(a.test.images)).toBe(checksum(b.test.images));
    const full = countLabels(all);
    const test = countLabels(a.test);
    for (const [c, n] of test.entries())
      expect(Math.abs(n - full[c]! * 0.2)).toBeLessThanOrEqual(1);
    const other = splitMnist(all, { seed: 1 });
    expect(checksum(other.test.images)).not.toBe(checksum(a.test.images));
  });

  it('shares no image between train and test', () => {
    const { train, test } = splitMnist(all);
    const key = (d: MnistData, i: number) =>
      d.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS).join(',');
    const seen = new Set(Array.from({ length: train.count }, (_, i) => key(train, i)));
    // MNIST holds a few exact duplicates; a leak would show as hundreds.
    const shared = Array.from({ length: test.count }, (_, i) => key(test, i)).filter((k) =>
      seen.has(k),
    );
    expect(shared.length).toBeLessThan(5);
  });
});

describe('binary tasks', () => {
  it('labels the classes whose bit is set (bit 0 is class 0)', () => {
    const view = binaryTaskView(all, '0010000000');
    for (const i of [0, 2_500, 9_999]) expect(view.labels[i]).toBe(all.labels[i] === 2 ? 1 : 0);
    const positives = view.labels.reduce((n, v) => n + v, 0);
    expect(positives).toBe(991);
    expect([...parseTaskCode('1000000001')]).toEqual([0, 9]);
  });
  it('refuses malformed codes and draws distinct non-trivial ones', () => {
    expect(() => binaryTaskView(all, '00100')).toThrow(/10 characters/);
    const codes = randomTaskCodes(20, { int: (n) => Math.floor(Math.random() * n) });
    expect(new Set(codes).size).toBe(20);
    for (const c of codes) expect(c === '0000000000' || c === '1111111111').toBe(false);
  });
});
