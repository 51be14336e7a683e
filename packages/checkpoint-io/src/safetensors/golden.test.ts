import { describe, expect, it } from 'vitest';
import type { TensorData } from '../state-dict';
import { makeTensor } from '../state-dict';
import { parseSafetensors } from './reader';
import { serializeSafetensors } from './writer';

// Golden bytes from the reference implementation's tests (safetensors/src/tensor.rs).
const f32 = (values: number[]) => new Float32Array(values);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

describe('serializeSafetensors matches the reference byte for byte', () => {
  it('serializes one F32 tensor (test_serialization)', () => {
    const out = serializeSafetensors(
      new Map<string, TensorData>([
        ['attn.0', makeTensor('F32', [1, 2, 3], f32([0, 1, 2, 3, 4, 5]))],
      ]),
    );
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121,
      112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50,
      44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48,
      44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64,
      0, 0, 160, 64,
    ]);
  });

  it('pads the header with spaces to align the data (test_serialization_forced_alignement)', () => {
    const out = serializeSafetensors(
      new Map<string, TensorData>([
        ['attn0', makeTensor('F32', [1, 1, 2, 3], f32([0, 1, 2, 3, 4, 5]))],
      ]),
    );
    expect(Array.from(out)).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112,
      101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44,
      50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91,
      48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('serializes an empty file, with and without metadata (test_empty)', () => {
    expect(Array.from(serializeSafetensors(new Map()))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(serializeSafetensors(new Map(), { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58,
      123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32,
      32, 32, 32, 32,
    ]);
  });

  it('orders tensors by dtype alignment, largest first, then by name', () => {
    const out = serializeSafetensors(
      new Map<string, TensorData>([
        ['b_u8', makeTensor('U8', [1])],
        ['z_f64', makeTensor('F64', [1])],
        ['a_u8', makeTensor('U8', [1])],
        ['f16', makeTensor('F16', [1])],
        ['a_i64', makeTensor('I64', [1])],
      ]),
    );
    const header = new TextDecoder().decode(
      out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true))),
    );
    const order = [...header.matchAll(/"(\w+)":\{"dtype"/g)].map((m) => m[1]);
    expect(order).toEqual(['a_i64', 'z_f64', 'f16', 'a_u8', 'b_u8']);
  });
});

describe('parseSafetensors accepts what the reference accepts', () => {
  it('reads a 2x2 I32 tensor (test_deserialization)', () => {
    const bytes = new Uint8Array([
      ...[60, 0, 0, 0, 0, 0, 0, 0],
      ...ascii('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'),
      ...new Array(16).fill(0),
    ]);
    const { tensors } = parseSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['test']);
    expect(tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });
  });

  it('reads a scalar with an empty shape (test_empty_shapes_allowed)', () => {
    const bytes = new Uint8Array([
      ...[56, 0, 0, 0, 0, 0, 0, 0],
      ...ascii('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}'),
      0,
      0,
      0,
      0,
    ]);
    expect(parseSafetensors(bytes).tensors.get('test')).toEqual({
      dtype: 'I32',
      shape: [],
      data: new Int32Array(1),
    });
  });

  it('reads a zero-sized tensor (test_zero_sized_tensor)', () => {
    const json = '{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}';
    const bytes = new Uint8Array([json.length, 0, 0, 0, 0, 0, 0, 0, ...ascii(json)]);
    expect(parseSafetensors(bytes).tensors.get('test')).toEqual({
      dtype: 'I32',
      shape: [2, 0],
      data: new Int32Array(0),
    });
  });

  it('tolerates whitespace before and after the JSON header', () => {
    expect(
      parseSafetensors(new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}\r \t\n')])).tensors
        .size,
    ).toBe(0);
    expect(
      parseSafetensors(new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, ...ascii('\t\n{}\r ')])).tensors
        .size,
    ).toBe(0);
  });

  it('reads back the reference-serialized bytes', () => {
    const out = serializeSafetensors(
      new Map<string, TensorData>([
        ['attn.0', makeTensor('F32', [1, 2, 3], f32([0, 1, 2, 3, 4, 5]))],
      ]),
    );
    expect(Array.from(parseSafetensors(out).tensors.get('attn.0')!.data as Float32Array)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });
});
