import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, PickleSecurityError, PthFormatError } from '../errors';
import { convertToSafetensors } from '../inspect/convert';
import { unpickle } from '../pickle/unpickler';
import { readSafetensors } from '../safetensors/reader';
import { expectMatchesExpected } from '../test-support/expect-tensors';
import { expectedFor, FIXTURES, seededRandom, tempDir } from '../test-support/fixtures';
import { ZipArchive } from '../zip/zip-reader';
import { readPth } from './pth-reader';
import { torchUnpicklePolicy } from './torch-globals';

describe('readPth on files written by PyTorch', () => {
  it.each(['shufflenet_v2_x0_5.pth', 'odd_tensors.pth', 'odd_tensors_legacy.pth'])(
    '%s reads back every tensor',
    async (name) => {
      const { tensors, format } = await readPth(join(FIXTURES, name));
      expect(format).toBe(name.includes('legacy') ? 'pth-legacy' : 'pth');
      expectMatchesExpected(tensors, expectedFor(name));
    },
  );

  it('rebuilds views of one shared storage (transpose, slices, stride-0 expand)', async () => {
    const { tensors } = await readPth(join(FIXTURES, 'odd_tensors.pth'));
    const base = tensors.get('shares_base')!.data as Float32Array;
    const at = (r: number, c: number) => base[r * 9 + c]!;
    const t = tensors.get('transposed_view')!;
    expect(t.shape).toEqual([9, 5]);
    expect((t.data as Float32Array)[1 * 5 + 3]).toBe(at(3, 1));
    expect(Array.from(tensors.get('row_slice')!.data as Float32Array)).toEqual(
      Array.from(base.subarray(18, 36)),
    );
    expect(Array.from(tensors.get('col_slice')!.data as Float32Array)).toEqual(
      [0, 1, 2, 3, 4].flatMap((r) => [at(r, 1), at(r, 2)]),
    );
    const expanded = tensors.get('expanded')!.data as Float32Array;
    for (let r = 1; r < 4; r++)
      expect(Array.from(expanded.subarray(r * 3, r * 3 + 3))).toEqual(
        Array.from(expanded.subarray(0, 3)),
      );
    expect(tensors.get('scalar')).toMatchObject({ dtype: 'F32', shape: [] });
    expect(tensors.get('empty')).toMatchObject({ shape: [0, 4] });
  });

  it('flattens nested checkpoints with dotted names and keeps scalars as metadata', async () => {
    const { tensors, metadata, root } = await readPth(join(FIXTURES, 'nested_checkpoint.pth'));
    expectMatchesExpected(
      tensors,
      expectedFor('nested_checkpoint.pth').state_dict as never,
      'state_dict.',
    );
    expect(metadata).toEqual({ epoch: '3', acc: '0.91' });
    expect((root as Map<string, unknown>).get('epoch')).toBe(3);
  });

  it('refuses malicious.pth, naming the global, and runs nothing', async () => {
    const marker = '/tmp/PWNED_PUBLIC_FIXTURE';
    const before = existsSync(marker);
    const error = await readPth(join(FIXTURES, 'malicious.pth')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PickleSecurityError);
    expect((error as PickleSecurityError).message).toContain('posix.system');
    expect((error as PickleSecurityError).userFacing).toBe(true);
    if (!before) expect(existsSync(marker)).toBe(false);
  });

  it('.pth → safetensors keeps every value bit for bit', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const name of ['odd_tensors.pth', 'odd_tensors_legacy.pth', 'nested_checkpoint.pth']) {
        const out = join(dir, `${name}.safetensors`);
        await convertToSafetensors(join(FIXTURES, name), out);
        const original = await readPth(join(FIXTURES, name));
        const converted = await readSafetensors(out);
        expect(converted.tensors).toEqual(original.tensors);
        expect(converted.metadata).toEqual(original.metadata);
      }
    } finally {
      await cleanup();
    }
  });

  it('refuses files that are not torch.save output', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'x.pth');
      await writeFile(path, 'hello world, not a checkpoint');
      await expect(readPth(path)).rejects.toBeInstanceOf(PthFormatError);
      const tar = new Uint8Array(1024);
      tar.set(Buffer.from('ustar'), 257);
      await writeFile(path, tar);
      await expect(readPth(path)).rejects.toThrow(/torch\.save\(torch\.load/);
    } finally {
      await cleanup();
    }
  });
});

describe('pickle fuzzing', () => {
  it('3000 seeded mutations of a real data.pkl only ever raise typed errors', async () => {
    const zip = await ZipArchive.open(join(FIXTURES, 'odd_tensors.pth'));
    const pickle = await zip.read('odd_tensors/data.pkl');
    await zip.close();
    const random = seededRandom(99);
    const persistentLoad = () => ({
      kind: 'storage',
      key: '0',
      dtype: 'F32',
      numel: 64,
      bytes: new Uint8Array(256),
    });
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = pickle.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++)
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      try {
        unpickle(cut, 0, torchUnpicklePolicy('fuzz.pth', persistentLoad), 'fuzz.pth');
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(500);
  });
});
