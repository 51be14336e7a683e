import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateDictMismatchError } from './errors';
import { BatchNorm2d, Conv2d, Linear, Module, Rng, Sequential } from './index';
import { randomTensor, values } from './test-support';

/** A torchvision-shaped block: names must come out as PyTorch would print them. */
class Block extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly head: Sequential;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.conv1 = this.addModule('conv1', new Conv2d(2, 4, 3, { padding: 1, bias: false, rng }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(4));
    this.head = this.addModule('fc', new Sequential(new Linear(4, 3, { rng })));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = tf.relu(this.bn1.forward(this.conv1.forward(x)));
      return this.head.forward(tf.mean(h, [1, 2]));
    });
  }
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('Module', () => {
  it('frees what its children hold beyond their entries (an eval Linear caches Wᵀ)', () => {
    const before = tf.memory().numTensors;
    const model = new Sequential(new Linear(3, 2, { rng: new Rng(1) }));
    model.eval();
    tf.tidy(() => {
      model.forward(tf.ones([1, 3]));
    });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names parameters and buffers as PyTorch does, in registration order', async () => {
    const block = new Block(1);
    const sd = await block.stateDict();
    expect([...sd.keys()]).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
      'fc.0.weight',
      'fc.0.bias',
    ]);
    expect(sd.get('conv1.weight')).toMatchObject({ dtype: 'F32', shape: [4, 2, 3, 3] });
    expect(sd.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect(block.namedParameters().map(([n]) => n)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'fc.0.weight',
      'fc.0.bias',
    ]);
    expect(block.numParameters()).toBe(4 * 2 * 9 + 4 + 4 + 3 * 4 + 3);
    block.dispose();
  });

  it('a state dict moved into a differently seeded model reproduces its outputs exactly', async () => {
    const a = new Block(1);
    const x = randomTensor([2, 5, 5, 2], 3);
    a.forward(x).dispose(); // a training step moves the running statistics
    a.eval();
    const b = new Block(2).eval();
    b.loadStateDict(await a.stateDict());
    expect(await values(b.forward(x))).toEqual(await values(a.forward(x)));
    expect(await values(b.bn1.numBatchesTracked!)).toEqual([1]);
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });

  it('reports every missing, unexpected and mis-shaped entry in one error and assigns nothing', async () => {
    const a = new Block(1);
    const before = await values(a.conv1.weight);
    const sd = await new Block(2).stateDict();
    sd.delete('bn1.running_var');
    sd.set('extra.weight', { dtype: 'F32', shape: [1], data: Float32Array.of(1) });
    sd.set('fc.0.bias', { dtype: 'F32', shape: [4], data: new Float32Array(4) });
    let error: unknown;
    try {
      a.loadStateDict(sd, { source: 'ckpt.safetensors' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictMismatchError);
    const mismatch = error as StateDictMismatchError;
    expect(mismatch.missing).toEqual(['bn1.running_var']);
    expect(mismatch.unexpected).toEqual(['extra.weight']);
    expect(mismatch.mismatched).toEqual([{ name: 'fc.0.bias', expected: [3], got: [4] }]);
    expect(mismatch.message).toMatch(/^ckpt\.safetensors: state dict does not fit/);
    expect(await values(a.conv1.weight)).toEqual(before);
    a.dispose();
  });

  it('non-strict loading skips missing and unexpected names but never a wrong shape', async () => {
    const a = new Block(1);
    const sd = await new Block(2).stateDict();
    sd.delete('fc.0.bias');
    sd.set('extra', { dtype: 'F32', shape: [1], data: Float32Array.of(1) });
    a.loadStateDict(sd, { strict: false });
    expect(await values(a.conv1.weight)).toEqual(
      Array.from(sd.get('conv1.weight')!.data as Float32Array),
    );
    sd.set('fc.0.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) });
    expect(() => a.loadStateDict(sd, { strict: false })).toThrow(/fc\.0\.weight is \[2, 2\]/);
    a.dispose();
  });

  it('refuses NaN, integer weights and float counters with the tensor named', async () => {
    const a = new Block(1);
    const sd = await a.stateDict();
    const w = sd.get('fc.0.weight')!;
    (w.data as Float32Array)[2] = Number.NaN;
    expect(() => a.loadStateDict(sd)).toThrow(
      /fc\.0\.weight: non-finite value \(NaN\) at element 2/,
    );
    (w.data as Float32Array)[2] = 0;
    sd.set('bn1.num_batches_tracked', { dtype: 'F32', shape: [], data: Float32Array.of(1) });
    expect(() => a.loadStateDict(sd)).toThrow(
      /bn1\.num_batches_tracked: dtype F32 where an integer/,
    );
    a.dispose();
  });

  it('accepts F16, BF16 and F64 weights, as PyTorch checkpoints often hold', async () => {
    const a = new Linear(2, 1, { rng: new Rng(1) });
    a.loadStateDict(
      new Map([
        ['weight', { dtype: 'F64', shape: [1, 2], data: Float64Array.of(0.5, -2) }],
        ['bias', { dtype: 'F16', shape: [1], data: Uint16Array.of(0x3c00) }],
      ]),
    );
    expect(await values(a.weight)).toEqual([0.5, -2]);
    expect(await values(a.bias!)).toEqual([1]);
    a.dispose();
  });

  it('train() and eval() reach every descendant', () => {
    const block = new Block(1);
    block.eval();
    expect(block.namedModules().every(([, m]) => !m.training)).toBe(true);
    block.train();
    expect(block.bn1.training).toBe(true);
    block.dispose();
  });
});
