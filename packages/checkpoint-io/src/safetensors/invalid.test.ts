import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsError, type SafetensorsRule } from '../errors';
import { tempDir } from '../test-support/fixtures';
import { openSafetensors, parseSafetensors } from './reader';

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const le64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return Array.from(b);
};
/** A file whose length prefix is the JSON's length. */
const file = (json: string, data: number[] = []) =>
  new Uint8Array([...le64(Buffer.byteLength(json)), ...Buffer.from(json), ...data]);
const zeros = (n: number) => new Array<number>(n).fill(0);

function ruleOf(bytes: Uint8Array): SafetensorsRule | undefined {
  try {
    parseSafetensors(bytes, 'bad.safetensors');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    const e = error as SafetensorsError;
    expect(e.userFacing).toBe(true);
    expect(e.file).toBe('bad.safetensors');
    expect(e.message.startsWith('bad.safetensors: ')).toBe(true);
    return e.rule;
  }
}

const I32_2x2 = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';

describe('parseSafetensors refuses every invalid case of the reference tests', () => {
  it('header too small (test_header_too_small)', () => {
    expect(ruleOf(new Uint8Array())).toBe('header-too-small');
    expect(ruleOf(new Uint8Array([1, 0, 0]))).toBe('header-too-small');
  });
  it('header too large (test_header_too_large)', () => {
    expect(
      ruleOf(new Uint8Array([60, 0, 0, 0, 0, 0xff, 0xff, 0xff, ...ascii(I32_2x2), ...zeros(16)])),
    ).toBe('header-too-large');
    expect(ruleOf(new Uint8Array([...le64(100_000_001), ...ascii('{}')]))).toBe('header-too-large');
  });
  it('header runs past the file (test_invalid_header_length)', () => {
    expect(ruleOf(new Uint8Array([60, 0, 0, 0, 0, 0, 0, 0]))).toBe('invalid-header-length');
  });
  it('header is not UTF-8 (test_invalid_header_non_utf8)', () => {
    expect(ruleOf(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0xff]))).toBe('invalid-utf8');
  });
  it('header is not JSON (test_invalid_header_not_json)', () => {
    expect(ruleOf(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, ...ascii('{')]))).toBe('invalid-json');
    expect(ruleOf(file('{"a":1}x'))).toBe('invalid-json');
  });
  it('overlapping offsets (test_json_attack)', () => {
    const entries = Array.from(
      { length: 10 },
      (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`,
    );
    expect(ruleOf(file(`{${entries.join(',')}}`, zeros(16)))).toBe('invalid-offset');
  });
  it('gaps between tensors', () => {
    const json =
      '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}';
    expect(ruleOf(file(json, zeros(6)))).toBe('invalid-offset');
  });
  it('data not starting at 0, or end before begin', () => {
    expect(ruleOf(file('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', zeros(4)))).toBe(
      'invalid-offset',
    );
    expect(
      ruleOf(
        file(
          '{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}}',
          zeros(2),
        ),
      ),
    ).toBe('invalid-offset');
  });
  it('trailing or missing bytes (test_metadata_incomplete_buffer)', () => {
    expect(
      ruleOf(file(I32_2x2, [...zeros(16), ...ascii('extra_bogus_data_for_polyglot_file')])),
    ).toBe('incomplete-buffer');
    expect(ruleOf(file(I32_2x2, zeros(14)))).toBe('incomplete-buffer');
  });
  it('byte length differs from numel × dtype size (test_invalid_info)', () => {
    expect(ruleOf(file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}'))).toBe(
      'invalid-tensor-info',
    );
  });
  it('shape arithmetic overflows (test_validation_overflow)', () => {
    expect(
      ruleOf(
        file(
          '{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}',
          zeros(16),
        ),
      ),
    ).toBe('validation-overflow');
    expect(
      ruleOf(
        file(
          '{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}',
          zeros(16),
        ),
      ),
    ).toBe('validation-overflow');
  });
  it('duplicate tensor names, which JSON.parse would silently merge', () => {
    const json =
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}';
    expect(ruleOf(file(json, zeros(2)))).toBe('duplicate-name');
  });
  it('unknown dtypes, never cast', () => {
    expect(
      ruleOf(file('{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', zeros(1))),
    ).toBe('unknown-dtype');
  });
  it('__metadata__ that is not a string→string map', () => {
    expect(ruleOf(file('{"__metadata__":{"epoch":3}}'))).toBe('invalid-metadata');
    expect(ruleOf(file('{"__metadata__":["a"]}'))).toBe('invalid-metadata');
  });
  it('malformed tensor entries', () => {
    expect(ruleOf(file('[]'))).toBe('invalid-header');
    expect(ruleOf(file('{"a":{"dtype":"U8","shape":[1]}}'))).toBe('invalid-header');
    expect(ruleOf(file('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'))).toBe(
      'invalid-header',
    );
    expect(ruleOf(file('{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,0]}}'))).toBe(
      'invalid-header',
    );
    expect(ruleOf(file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}', zeros(1)))).toBe(
      'invalid-header',
    );
  });
});

describe('openSafetensors', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('names the file and the rule when opening an invalid file', async () => {
    const path = join(dir, 'trailing.safetensors');
    await writeFile(path, file(I32_2x2, [...zeros(16), 1]));
    await expect(openSafetensors(path)).rejects.toMatchObject({
      name: 'SafetensorsError',
      file: path,
      rule: 'incomplete-buffer',
      message: expect.stringContaining(path),
    });
  });

  it('refuses to read a tensor that is not in the file', async () => {
    const path = join(dir, 'ok.safetensors');
    await writeFile(path, file(I32_2x2, zeros(16)));
    const st = await openSafetensors(path);
    await expect(st.readTensor('nope')).rejects.toMatchObject({ rule: 'tensor-not-found' });
    await st.close();
  });
});
