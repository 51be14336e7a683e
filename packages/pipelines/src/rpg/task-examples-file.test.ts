import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@pgen/checkpoint-io';
import { afterAll, describe, expect, it } from 'vitest';
import { readTaskExamples } from './task-examples-file';

const dir = mkdtempSync(join(tmpdir(), 'rpg-examples-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTaskExamples', () => {
  it('reads uint8 or float32 digits and 0/1 labels', async () => {
    const path = join(dir, 'ok.safetensors');
    const pixels = Uint8Array.from({ length: 2 * 784 }, (_, i) => i % 256);
    await writeSafetensors(
      path,
      new Map([
        ['images', { dtype: 'U8' as const, shape: [2, 28, 28], data: pixels }],
        ['labels', { dtype: 'I64' as const, shape: [2], data: BigInt64Array.from([1n, 0n]) }],
      ]),
    );
    const set = await readTaskExamples(path);
    expect(Array.from(set.labels)).toEqual([1, 0]);
    expect((set.features as Float32Array)[255]).toBeCloseTo(1, 6);
  });

  it('names the file and the problem', async () => {
    const path = join(dir, 'bad.safetensors');
    await writeSafetensors(
      path,
      new Map([
        ['images', { dtype: 'F32' as const, shape: [1, 784], data: new Float32Array(784).fill(2) }],
        ['labels', { dtype: 'I32' as const, shape: [1], data: Int32Array.from([1]) }],
      ]),
    );
    await expect(readTaskExamples(path)).rejects.toThrow(
      /bad\.safetensors: images value 2 .*outside \[0, 1\]/,
    );
    const labels = join(dir, 'labels.safetensors');
    await writeSafetensors(
      labels,
      new Map([
        ['images', { dtype: 'F32' as const, shape: [1, 784], data: new Float32Array(784) }],
        ['labels', { dtype: 'I32' as const, shape: [1], data: Int32Array.from([3]) }],
      ]),
    );
    await expect(readTaskExamples(labels)).rejects.toThrow(
      /labels must be integers 0 or 1.*found 3/,
    );
    await expect(readTaskExamples(join(dir, 'missing.safetensors'))).rejects.toThrow(
      /missing\.safetensors: cannot read task examples/,
    );
  });
});
