import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TfjsWeightsError } from '../errors';
import { fromFloat32 } from '../half';
import type { TensorData } from '../state-dict';
import { makeTensor } from '../state-dict';
import { tempDir } from '../test-support/fixtures';
import { readTfjsWeights } from './tfjs-reader';
import { writeTfjsWeights } from './tfjs-writer';

describe('tfjs weights', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('round-trips float32, int32 and bool weights across several shards', async () => {
    const sd = new Map<string, TensorData>([
      [
        'dense/kernel',
        makeTensor(
          'F32',
          [10, 7],
          Float32Array.from({ length: 70 }, (_, i) => i / 7),
        ),
      ],
      [
        'dense/bias',
        makeTensor(
          'F32',
          [7],
          Float32Array.from({ length: 7 }, (_, i) => -i),
        ),
      ],
      ['steps', makeTensor('I32', [2], new Int32Array([5, -6]))],
      ['mask', makeTensor('BOOL', [3], new Uint8Array([1, 0, 1]))],
    ]);
    await writeTfjsWeights(dir, sd, { shardSizeBytes: 100 });
    const files = (await readdir(dir)).sort();
    expect(files).toContain('model.json');
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(4);
    const back = await readTfjsWeights(join(dir, 'model.json'));
    expect(back.tensors).toEqual(sd);
    expect(back.metadata.format).toBe('weights-only');
  });

  it('converts F16, F64 and I64 to what tfjs holds, refusing ints out of int32 range', async () => {
    const half = fromFloat32(new Float32Array([1.5, -2]), [2], 'F16');
    await writeTfjsWeights(
      dir,
      new Map<string, TensorData>([
        ['h', half],
        ['i', makeTensor('I64', [1], new BigInt64Array([7n]))],
      ]),
    );
    const back = await readTfjsWeights(join(dir, 'model.json'));
    expect(back.tensors.get('h')).toEqual(makeTensor('F32', [2], new Float32Array([1.5, -2])));
    expect(back.tensors.get('i')).toEqual(makeTensor('I32', [1], new Int32Array([7])));
    await expect(
      writeTfjsWeights(
        dir,
        new Map<string, TensorData>([
          ['i', makeTensor('I64', [1], new BigInt64Array([2n ** 40n]))],
        ]),
      ),
    ).rejects.toBeInstanceOf(TfjsWeightsError);
  });

  it('dequantizes uint8 weights as tfjs does', async () => {
    await writeFile(join(dir, 'w.bin'), new Uint8Array([0, 1, 255]));
    const manifest = [
      {
        paths: ['w.bin'],
        weights: [
          {
            name: 'q',
            shape: [3],
            dtype: 'float32',
            quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
          },
        ],
      },
    ];
    await writeFile(join(dir, 'model.json'), JSON.stringify({ weightsManifest: manifest }));
    const { tensors } = await readTfjsWeights(join(dir, 'model.json'));
    expect(Array.from(tensors.get('q')!.data as Float32Array)).toEqual([-1, -0.5, 126.5]);
  });

  it('refuses shard paths outside the model folder, short shards and trailing bytes', async () => {
    const write = (paths: string[], shape: number[]) =>
      writeFile(
        join(dir, 'model.json'),
        JSON.stringify({
          weightsManifest: [{ paths, weights: [{ name: 'w', shape, dtype: 'float32' }] }],
        }),
      );
    await writeFile(join(dir, 'w.bin'), new Uint8Array(8));
    await write(['../escape.bin'], [2]);
    await expect(readTfjsWeights(join(dir, 'model.json'))).rejects.toMatchObject({
      rule: 'invalid-shard-path',
    });
    await write(['w.bin'], [3]);
    await expect(readTfjsWeights(join(dir, 'model.json'))).rejects.toMatchObject({
      rule: 'truncated-shard',
    });
    await write(['w.bin'], [1]);
    await expect(readTfjsWeights(join(dir, 'model.json'))).rejects.toMatchObject({
      rule: 'trailing-bytes',
    });
    expect(
      JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest,
    ).toHaveLength(1);
  });
});
