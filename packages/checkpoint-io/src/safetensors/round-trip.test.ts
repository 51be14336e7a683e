import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesOf } from '../bytes';
import { allocTypedArray, DTYPES, type DType } from '../dtype';
import { SafetensorsError } from '../errors';
import type { TensorData } from '../state-dict';
import { makeTensor, type StateDict } from '../state-dict';
import { expectMatchesExpected } from '../test-support/expect-tensors';
import { expectedFor, FIXTURES, seededRandom, tempDir } from '../test-support/fixtures';
import { openSafetensors, parseSafetensors, readSafetensors } from './reader';
import { SafetensorsStreamWriter } from './stream-writer';
import { serializeSafetensors, writeSafetensors } from './writer';

/** A tensor of `dtype` whose bytes are random, so NaN payloads and -0 are covered too. */
function randomTensor(dtype: DType, shape: number[], random: () => number) {
  const t = makeTensor(
    dtype,
    shape,
    allocTypedArray(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
  );
  const bytes = bytesOf(t.data);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  if (dtype === 'BOOL') for (let i = 0; i < bytes.length; i++) bytes[i]! &= 1;
  return t;
}

function randomStateDict(seed: number): StateDict {
  const random = seededRandom(seed);
  const sd: StateDict = new Map();
  for (const dtype of DTYPES) {
    const rank = Math.floor(random() * 4);
    const shape = Array.from({ length: rank }, () => Math.floor(random() * 5));
    sd.set(`layer.${dtype.toLowerCase()}.${seed}`, randomTensor(dtype, shape, random));
  }
  return sd;
}

function expectBitExact(actual: StateDict, expected: StateDict) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const got = actual.get(name)!;
    expect(got.dtype).toBe(t.dtype);
    expect(got.shape).toEqual(t.shape);
    expect(Buffer.from(bytesOf(got.data)).equals(Buffer.from(bytesOf(t.data)))).toBe(true);
  }
}

describe('safetensors round trips', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('StateDict → bytes → StateDict is bit-exact for every dtype', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const sd = randomStateDict(seed);
      expectBitExact(
        parseSafetensors(serializeSafetensors(sd, { seed: String(seed) })).tensors,
        sd,
      );
    }
  });

  it('StateDict → file → StateDict is bit-exact and keeps metadata', async () => {
    const sd = randomStateDict(7);
    const path = join(dir, 'm.safetensors');
    await writeSafetensors(path, sd, { metadata: { note: 'ünïcode ✓', format: 'pt' } });
    const back = await readSafetensors(path);
    expectBitExact(back.tensors, sd);
    expect(back.metadata).toEqual({ note: 'ünïcode ✓', format: 'pt' });
    expect(await readdir(dir)).toEqual(['m.safetensors']);
  });

  it('rewrites files written by the reference byte for byte', async () => {
    for (const name of [
      'mixed.safetensors',
      'gpt2_tiny_base.safetensors',
      'peft_lora_gpt2/adapter_model.safetensors',
    ]) {
      const original = new Uint8Array(await readFile(join(FIXTURES, name)));
      const { tensors, metadata } = parseSafetensors(original, name);
      // Multi-key metadata order is a Rust HashMap's, so only single-key files compare exactly.
      if (Object.keys(metadata).length <= 1) {
        expect(
          Buffer.from(serializeSafetensors(tensors, metadata)).equals(Buffer.from(original)),
          name,
        ).toBe(true);
      }
    }
  });

  it('reads every reference-written fixture with the expected values', async () => {
    for (const name of [
      'mixed.safetensors',
      'shufflenet_v2_x0_5.safetensors',
      'gpt2_tiny_base.safetensors',
      'peft_lora_gpt2/adapter_model.safetensors',
    ]) {
      const { tensors } = await readSafetensors(join(FIXTURES, name));
      expectMatchesExpected(tensors, expectedFor(name));
    }
    expect(
      (await readSafetensors(join(FIXTURES, 'shufflenet_v2_x0_5.safetensors'))).metadata,
    ).toEqual({
      format: 'pt',
      arch: 'shufflenet_v2_x0_5',
    });
  });

  it('reads one tensor without reading the rest of the file', async () => {
    const big = makeTensor('F32', [256, 1024]);
    const small = makeTensor('I32', [3], new Int32Array([7, 8, 9]));
    const path = join(dir, 'r.safetensors');
    await writeSafetensors(
      path,
      new Map<string, TensorData>([
        ['big', big],
        ['small', small],
      ]),
    );
    const file = await openSafetensors(path);
    const handle = (
      file as unknown as {
        handle: { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
      }
    ).handle;
    let bytesRead = 0;
    const read = handle.read.bind(handle);
    handle.read = async (...args: unknown[]) => {
      const result = await read(...args);
      bytesRead += result.bytesRead;
      return result;
    };
    expect(await file.readTensor('small')).toEqual(small);
    expect(bytesRead).toBe(12);
    await file.close();
  });

  it('a failed write leaves neither the file nor a temporary file behind', async () => {
    const path = join(dir, 'bad.safetensors');
    const bad: StateDict = new Map<string, TensorData>([
      ['w', { dtype: 'F32', shape: [4], data: new Float32Array(3) }],
    ]);
    await expect(writeSafetensors(path, bad)).rejects.toBeInstanceOf(SafetensorsError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('replaces an existing file only once the new one is complete', async () => {
    const path = join(dir, 'x.safetensors');
    await writeFile(path, 'old');
    await writeSafetensors(
      path,
      new Map<string, TensorData>([['a', makeTensor('U8', [2], new Uint8Array([1, 2]))]]),
    );
    expect((await readSafetensors(path)).tensors.get('a')!.data).toEqual(new Uint8Array([1, 2]));
    expect(await readdir(dir)).toEqual(['x.safetensors']);
  });
});

describe('SafetensorsStreamWriter', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('writes tensors in any order to the same bytes as the in-memory writer', async () => {
    const sd = randomStateDict(11);
    const path = join(dir, 's.safetensors');
    const decls = [...sd].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
    const writer = await SafetensorsStreamWriter.create(path, decls, { metadata: { a: 'b' } });
    expect(await readdir(dir)).not.toContain('s.safetensors');
    for (const [name, t] of [...sd].reverse()) await writer.writeTensor(name, t.data);
    await writer.close();
    expect(
      Buffer.from(await readFile(path)).equals(Buffer.from(serializeSafetensors(sd, { a: 'b' }))),
    ).toBe(true);
    expect(await readdir(dir)).toEqual(['s.safetensors']);
  });

  it('refuses undeclared, repeated or wrongly sized tensors', async () => {
    const path = join(dir, 's.safetensors');
    const writer = await SafetensorsStreamWriter.create(path, [
      { name: 'w', dtype: 'F32', shape: [2] },
    ]);
    await expect(writer.writeTensor('v', new Float32Array(2))).rejects.toMatchObject({
      rule: 'tensor-not-found',
    });
    await expect(writer.writeTensor('w', new Float32Array(3))).rejects.toMatchObject({
      rule: 'invalid-tensor',
    });
    await writer.writeTensor('w', new Float32Array(2));
    await expect(writer.writeTensor('w', new Float32Array(2))).rejects.toMatchObject({
      rule: 'tensor-not-found',
    });
    await writer.close();
  });

  it('close() with missing tensors fails and leaves nothing on disk', async () => {
    const path = join(dir, 's.safetensors');
    const writer = await SafetensorsStreamWriter.create(path, [
      { name: 'a', dtype: 'F32', shape: [2] },
      { name: 'b', dtype: 'F32', shape: [2] },
    ]);
    await writer.writeTensor('a', new Float32Array(2));
    await expect(writer.close()).rejects.toMatchObject({ rule: 'invalid-tensor' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('abort() removes the temporary file', async () => {
    const writer = await SafetensorsStreamWriter.create(join(dir, 's.safetensors'), [
      { name: 'a', dtype: 'U8', shape: [1] },
    ]);
    await writer.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses duplicate declarations', async () => {
    await expect(
      SafetensorsStreamWriter.create(join(dir, 's.safetensors'), [
        { name: 'a', dtype: 'U8', shape: [1] },
        { name: 'a', dtype: 'U8', shape: [1] },
      ]),
    ).rejects.toMatchObject({ rule: 'duplicate-name' });
    expect(await readdir(dir)).toEqual([]);
  });
});
