import { initBackend } from '@pgen/backends';
import { makeLoraConfig, mergeLoraAdapter, type PeftAdapter } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MnistVit } from '../models/vit';
import { attachLora, isLoraParameter, loraLayers, resetLora } from './attach-lora';
import { exportLoraAdapter, loadLoraAdapter } from './lora-adapter-io';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

/** Seeded images in [0, 1], [n, 28, 28, 1]. */
function images(n: number, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * 784 }, () => rng.next()),
    [n, 28, 28, 1],
  );
}

/** Gives every B a seeded nonzero value (fresh adapters have B = 0 and change nothing). */
function randomizeB(model: MnistVit, seed: number): void {
  const rng = new Rng(seed);
  for (const [, layer] of loraLayers(model)) {
    const b = layer.loraB!;
    const values = tf.tensor(
      Float32Array.from({ length: b.size }, () => (rng.next() - 0.5) * 0.2),
      b.shape,
    );
    b.assign(values);
    values.dispose();
  }
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

describe('LoRA on MnistVit', () => {
  it('adapts the attention only, under PEFT key names and shapes', async () => {
    const model = new MnistVit({ rng: new Rng(0) });
    const before = (await model.stateDict()).size;
    const attachment = attachLora(model, { seed: 1 });
    expect(attachment.modules).toEqual(
      [0, 1, 2, 3].flatMap((i) => [`blocks.${i}.attn.qkv`, `blocks.${i}.attn.proj`]),
    );
    const names = model.namedParameters().map(([n]) => n);
    expect(names.filter(isLoraParameter)).toHaveLength(16);
    expect(names).toContain('blocks.0.attn.qkv.lora_A.weight');
    expect(names).toContain('blocks.0.attn.qkv.weight');
    expect(names.filter(isLoraParameter).length + before).toBe(names.length);
    const adapter = await exportLoraAdapter(model);
    expect(adapter.config).toMatchObject({ r: 4, loraAlpha: 8, targetModules: ['qkv', 'proj'] });
    const shapes = Object.fromEntries([...adapter.tensors].map(([k, t]) => [k, t.shape]));
    expect(Object.keys(shapes)).toHaveLength(16);
    expect(shapes).toMatchObject({
      'base_model.model.blocks.0.attn.qkv.lora_A.weight': [4, 64],
      'base_model.model.blocks.0.attn.qkv.lora_B.weight': [192, 4],
      'base_model.model.blocks.3.attn.proj.lora_A.weight': [4, 64],
      'base_model.model.blocks.3.attn.proj.lora_B.weight': [64, 4],
    });
    // PEFT's init: A ~ U(±1/√in), B = 0; the same seed gives the same A after a reset.
    const a = adapter.tensors.get('base_model.model.blocks.0.attn.qkv.lora_A.weight')!
      .data as Float32Array;
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.1);
    const b = adapter.tensors.get('base_model.model.blocks.0.attn.qkv.lora_B.weight')!;
    expect((b.data as Float32Array).every((v) => v === 0)).toBe(true);
    randomizeB(model, 3);
    resetLora(model, 1);
    expect((await exportLoraAdapter(model)).tensors).toEqual(adapter.tensors);
    expect(() => attachLora(model)).toThrow(/already has LoRA adapters/);
    expect(() =>
      attachLora(new MnistVit({ rng: new Rng(0) }), { targetModules: ['nope'] }),
    ).toThrow(/no Linear layer of the model matches/);
    model.dispose();
  });

  it('gives the logits of the plain model with the adapter merged in (scaling alpha / r)', async () => {
    const model = new MnistVit({ rng: new Rng(0) });
    const base = await model.stateDict();
    attachLora(model, { rank: 4, alpha: 8, seed: 2 });
    randomizeB(model, 5);
    const adapter = await exportLoraAdapter(model);
    const plain = new MnistVit({ rng: new Rng(9) });
    plain.loadStateDict(mergeLoraAdapter(base, adapter));
    model.eval();
    plain.eval();
    const x = images(6, 11);
    const withLora = model.forward(x);
    const merged = plain.forward(x);
    const baseModel = new MnistVit({ rng: new Rng(9) });
    baseModel.loadStateDict(base);
    baseModel.eval();
    const unadapted = baseModel.forward(x);
    expect(maxAbsDiff(withLora, merged)).toBeLessThan(1e-4);
    // The adapter matters: without it the logits differ well beyond that tolerance.
    expect(maxAbsDiff(withLora, unadapted)).toBeGreaterThan(1e-2);
    tf.dispose([x, withLora, merged, unadapted]);
    for (const m of [model, plain, baseModel]) m.dispose();
  });

  it('loads an exported adapter back, taking its alpha; refuses ones that do not fit', async () => {
    const source = new MnistVit({ rng: new Rng(0) });
    attachLora(source, { rank: 2, alpha: 3, seed: 4 });
    randomizeB(source, 6);
    const adapter = await exportLoraAdapter(source);
    const target = new MnistVit({ rng: new Rng(0) });
    attachLora(target, { rank: 2, alpha: 1, seed: 7 });
    loadLoraAdapter(target, adapter);
    expect(loraLayers(target)[0]![1].loraShape).toEqual({ rank: 2, alpha: 3, scaling: 1.5 });
    expect((await exportLoraAdapter(target)).tensors).toEqual(adapter.tensors);
    const fewer: PeftAdapter = {
      config: adapter.config,
      tensors: new Map([...adapter.tensors].filter(([k]) => !k.includes('blocks.3.'))),
    };
    expect(() => loadLoraAdapter(target, fewer, 'x/adapter')).toThrow(
      /x\/adapter: .*missing: blocks\.3\.attn\.qkv, blocks\.3\.attn\.proj/,
    );
    const wide = new MnistVit({ rng: new Rng(0) });
    attachLora(wide, { rank: 4 });
    expect(() => loadLoraAdapter(wide, { ...adapter, config: makeLoraConfig({ r: 4 }) })).toThrow(
      /do not match rank 4/,
    );
    for (const m of [source, target, wide]) m.dispose();
  });
});
