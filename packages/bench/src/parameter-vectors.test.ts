import type { StateDict, TensorData } from '@pgen/checkpoint-io';
import { describe, expect, it } from 'vitest';
import { BenchError } from './errors';
import {
  fitParameterNormalisation,
  normalisedParameterVector,
  normalisedParameterVectors,
  parameterCount,
  stateDictFromVector,
} from './parameter-vectors';

const f32 = (shape: number[], ...values: number[]): TensorData => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});

/** A two-tensor "model" with a BatchNorm buffer and a counter that are not parameters. */
function model(w: [number, number], b: number): StateDict {
  return new Map<string, TensorData>([
    ['fc.weight', f32([1, 2], ...w)],
    ['fc.bias', f32([1], b)],
    ['bn.running_var', f32([1], 1)],
    ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.of(3n) }],
  ]);
}

describe('parameter normalisation', () => {
  // fc.weight over the zoo: values 1, 3, 3, 5 → mean 3, population std √2.
  // fc.bias: values 0, 2 → mean 1, std 1.
  const zoo = [model([1, 3], 0), model([3, 5], 2)];
  const norm = fitParameterNormalisation(zoo);

  it('fits a mean and std per parameter tensor, skipping buffers and counters', () => {
    expect(norm.names).toEqual(['fc.weight', 'fc.bias']);
    expect([...norm.mean]).toEqual([3, 1]);
    expect(norm.std[0]).toBeCloseTo(Math.SQRT2, 12);
    expect(norm.std[1]).toBeCloseTo(1, 12);
    expect(parameterCount(norm)).toBe(3);
  });

  it('flattens and z-scores each state dict in the zoo order', () => {
    const v = normalisedParameterVector(model([3 + Math.SQRT2, 3], 0), norm);
    expect(v[0]).toBeCloseTo(1, 6);
    expect(v[1]).toBeCloseTo(0, 6);
    expect(v[2]).toBeCloseTo(-1, 6);
  });

  it('maps a vector back to weights, keeping the template buffers', () => {
    const sd = stateDictFromVector(Float32Array.of(1, 0, -1), norm, zoo[0]!);
    expect([...sd.keys()]).toEqual([...zoo[0]!.keys()]);
    const w = sd.get('fc.weight')!;
    expect(w.shape).toEqual([1, 2]);
    expect((w.data as Float32Array)[0]).toBeCloseTo(3 + Math.SQRT2, 5);
    expect((sd.get('fc.bias')!.data as Float32Array)[0]).toBeCloseTo(0, 6);
    expect(sd.get('bn.running_var')).toBe(zoo[0]!.get('bn.running_var'));
  });

  it('round-trips a zoo checkpoint through normalised space', () => {
    const back = stateDictFromVector(normalisedParameterVector(zoo[1]!, norm), norm, zoo[0]!);
    expect([...(back.get('fc.weight')!.data as Float32Array)]).toEqual([3, 5]);
    expect([...(back.get('fc.bias')!.data as Float32Array)]).toEqual([2]);
  });

  it('leaves out tensors identical in every zoo checkpoint (frozen, not generated)', () => {
    const partly = fitParameterNormalisation([model([1, 3], 4), model([3, 5], 4)]);
    expect(partly.names).toEqual(['fc.weight']);
    expect(parameterCount(partly)).toBe(2);
    // A sampled state dict is mapped back with the template's frozen bias.
    const sd = stateDictFromVector(Float32Array.of(0, 0), partly, model([9, 9], 4));
    expect([...(sd.get('fc.bias')!.data as Float32Array)]).toEqual([4]);
    expect(() => fitParameterNormalisation([model([1, 1], 4), model([1, 1], 4)])).toThrow(
      /identical in all 2 zoo checkpoints/,
    );
  });

  it('keeps a constant tensor at 0 instead of dividing by a zero std', () => {
    const constant = fitParameterNormalisation([model([1, 1], 4), model([1, 1], 4)], {
      keepFrozen: true,
    });
    expect([...constant.std]).toEqual([1, 1]);
    expect([...normalisedParameterVector(model([1, 1], 4), constant)]).toEqual([0, 0, 0]);
  });

  it('names the file and tensor of a state dict that does not fit the zoo', () => {
    const missing = model([1, 1], 0);
    missing.delete('fc.bias');
    expect(() => normalisedParameterVectors([missing], norm, ['gen/a.safetensors'])).toThrow(
      'gen/a.safetensors: missing parameter tensor "fc.bias"',
    );
    const wrongShape = model([1, 1], 0);
    wrongShape.set('fc.weight', f32([2], 1, 1));
    expect(() => normalisedParameterVector(wrongShape, norm, 'x.safetensors')).toThrow(
      /x\.safetensors: tensor "fc.weight" has shape \[2\], the zoo's is \[1, 2\]/,
    );
    const nan = model([Number.NaN, 1], 0);
    expect(() => normalisedParameterVector(nan, norm, 'n.safetensors')).toThrow(BenchError);
  });

  it('rejects an empty zoo', () => {
    expect(() => fitParameterNormalisation([])).toThrow(/empty zoo/);
  });
});
