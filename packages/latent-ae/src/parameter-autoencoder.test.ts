import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LatentAeError } from './errors';
import { ParameterAutoencoder } from './parameter-autoencoder';
import { randomVectors } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

const small = { channels: [4, 8], latentDim: 6, kernelSize: 3, seed: 1 };

describe('ParameterAutoencoder shapes', () => {
  for (const inputDim of [1, 7, 16, 33, 100]) {
    it(`maps [batch, ${inputDim}] to latents and back to [batch, ${inputDim}]`, () => {
      const ae = new ParameterAutoencoder({ ...small, inputDim });
      expect(ae.paddedDim % 4).toBe(0);
      expect(ae.paddedDim).toBeGreaterThanOrEqual(inputDim);
      expect(ae.paddedDim - inputDim).toBeLessThan(4);
      const x = randomVectors(3, inputDim, 2);
      const z = ae.encode(x);
      const y = ae.forward(x);
      const back = ae.decode(z);
      expect(z.shape).toEqual([3, 6]);
      expect(y.shape).toEqual([3, inputDim]);
      expect(back.shape).toEqual([3, inputDim]);
      tf.dispose([x, z, y, back]);
      ae.dispose();
    });
  }

  it('uses the documented defaults and PyTorch-style state-dict names', async () => {
    const ae = new ParameterAutoencoder({ inputDim: 20 });
    expect(ae.config).toMatchObject({
      channels: [64, 128, 256],
      latentDim: 64,
      kernelSize: 7,
      inputNoise: 0.001,
      latentNoise: 0.1,
      variational: false,
    });
    const names = ae.namedParameters().map(([n]) => n);
    expect(names).toContain('encoder.0.conv.weight');
    expect(names).toContain('encoder.2.norm.bias');
    expect(names).toContain('to_latent.weight');
    expect(names).toContain('from_latent.weight');
    expect(names).toContain('decoder.2.conv.weight');
    expect(names).toContain('output.weight');
    expect(names).not.toContain('to_log_var.weight');
    const state = await ae.stateDict();
    expect(state.get('encoder.0.conv.weight')?.shape).toEqual([64, 1, 7]);
    // The decoder mirrors the encoder: 256 → 128 → 64 → 64, then one output channel.
    expect(state.get('decoder.0.conv.weight')?.shape).toEqual([128, 256, 7]);
    expect(state.get('decoder.2.conv.weight')?.shape).toEqual([64, 64, 7]);
    expect(state.get('output.weight')?.shape).toEqual([1, 64, 7]);
    expect(state.get('to_latent.weight')?.shape).toEqual([64, 3 * 256]);
    ae.dispose();
  });

  it('initialises identically for the same seed and differently for another', async () => {
    const a = new ParameterAutoencoder({ ...small, inputDim: 10 });
    const b = new ParameterAutoencoder({ ...small, inputDim: 10 });
    const c = new ParameterAutoencoder({ ...small, inputDim: 10, seed: 2 });
    const wa = Array.from(await a.toLatent.weight.data());
    expect(Array.from(await b.toLatent.weight.data())).toEqual(wa);
    expect(Array.from(await c.toLatent.weight.data())).not.toEqual(wa);
    for (const m of [a, b, c]) m.dispose();
  });

  it('rejects bad options and inputs with a user-facing error', () => {
    expect(() => new ParameterAutoencoder({ inputDim: 10, kernelSize: 4 })).toThrow(
      /kernelSize must be odd/,
    );
    expect(() => new ParameterAutoencoder({ inputDim: 0 })).toThrow(LatentAeError);
    expect(() => new ParameterAutoencoder({ inputDim: 10, channels: [] })).toThrow(/channels/);
    expect(() => new ParameterAutoencoder({ inputDim: 10, latentNoise: -1 })).toThrow(
      /latentNoise/,
    );
    expect(
      () =>
        new ParameterAutoencoder({ inputDim: 10, widths: [3] } as unknown as { inputDim: number }),
    ).toThrow(/unknown option\(s\) widths/);
    const ae = new ParameterAutoencoder({ ...small, inputDim: 10 });
    const wrong = tf.zeros([2, 11]);
    const error = (() => {
      try {
        ae.encode(wrong);
      } catch (e) {
        return e as LatentAeError;
      }
    })();
    expect(error).toBeInstanceOf(LatentAeError);
    expect(error?.userFacing).toBe(true);
    expect(error?.message).toMatch(/expected parameter vectors \[batch, 10\], got \[2,11\]/);
    const z = tf.zeros([2, 5]);
    expect(() => ae.decode(z)).toThrow(/expected latents \[batch, 6\]/);
    tf.dispose([wrong, z]);
    ae.dispose();
  });
});

describe('ParameterAutoencoder noise', () => {
  it('adds noise in training mode and none in eval mode', async () => {
    const ae = new ParameterAutoencoder({ ...small, inputDim: 24 }).eval();
    const x = randomVectors(4, 24, 3);
    // Batch norm stays in eval mode throughout, so differences can only come from the noise.
    const clean1 = await ae.encode(x, { training: false }).array();
    const clean2 = await ae.encode(x, { training: false }).array();
    expect(clean2).toEqual(clean1);
    const noisy1 = ae.encode(x, { training: true });
    const noisy2 = ae.encode(x, { training: true });
    const flatClean = clean1.flat();
    const diff1 = Array.from(await noisy1.data()).map((v, i) => v - flatClean[i]!);
    const diff2 = Array.from(await noisy2.data());
    expect(diff2).not.toEqual(Array.from(await noisy1.data()));
    // Latent noise has σ 0.1 (plus the propagated σ 0.001 input noise): check its scale.
    const std = Math.sqrt(diff1.reduce((s, d) => s + d * d, 0) / diff1.length);
    expect(std).toBeGreaterThan(0.05);
    expect(std).toBeLessThan(0.2);
    tf.dispose([x, noisy1, noisy2]);
    ae.dispose();
  });

  it('follows the module mode by default, and eval-mode reconstructions are deterministic', async () => {
    const ae = new ParameterAutoencoder({ ...small, inputDim: 24 });
    const x = randomVectors(4, 24, 4);
    ae.eval();
    const a = await ae.forward(x).array();
    const b = await ae.forward(x).array();
    expect(b).toEqual(a);
    ae.train();
    const c = ae.forward(x);
    const d = ae.forward(x);
    expect(await c.array()).not.toEqual(await d.array());
    tf.dispose([x, c, d]);
    ae.dispose();
  });

  it('draws the same noise for the same seed', async () => {
    const a = new ParameterAutoencoder({ ...small, inputDim: 12 }).eval();
    const b = new ParameterAutoencoder({ ...small, inputDim: 12 }).eval();
    const x = randomVectors(2, 12, 5);
    const za = a.encode(x, { training: true });
    const zb = b.encode(x, { training: true });
    expect(await zb.array()).toEqual(await za.array());
    tf.dispose([x, za, zb]);
    a.dispose();
    b.dispose();
  });

  it('adds no noise when both noise levels are zero', async () => {
    const ae = new ParameterAutoencoder({
      ...small,
      inputDim: 12,
      inputNoise: 0,
      latentNoise: 0,
    }).eval();
    const x = randomVectors(2, 12, 6);
    const za = ae.encode(x, { training: true });
    const zb = ae.encode(x, { training: false });
    expect(await za.array()).toEqual(await zb.array());
    tf.dispose([x, za, zb]);
    ae.dispose();
  });
});
