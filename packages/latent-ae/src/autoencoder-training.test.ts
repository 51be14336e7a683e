import { initBackend } from '@pgen/backends';
import { AdamW } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ParameterAutoencoderOptions } from './autoencoder-config';
import { ParameterAutoencoder } from './parameter-autoencoder';
import { lowRankVectors } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  expect(tf.getBackend()).toBe('wasm');
});

const options: ParameterAutoencoderOptions = {
  inputDim: 100,
  channels: [8, 16],
  latentDim: 16,
  kernelSize: 5,
  seed: 3,
};

/** Eval-mode reconstruction MSE: no noise, running batch-norm statistics. */
async function evalError(ae: ParameterAutoencoder, x: tf.Tensor): Promise<number> {
  ae.eval();
  const terms = ae.lossTerms(x);
  const value = await terms.reconstruction.array();
  tf.dispose([terms.loss, terms.reconstruction, terms.kl ?? []]);
  ae.train();
  return value;
}

function train(ae: ParameterAutoencoder, x: tf.Tensor, steps: number): void {
  const optimizer = new AdamW(ae.parameters(), { lr: 3e-3, weightDecay: 0 });
  ae.train();
  for (let i = 0; i < steps; i++) optimizer.minimize(() => ae.loss(x)).loss.dispose();
  optimizer.dispose();
}

describe('ParameterAutoencoder training', () => {
  it('learns to reconstruct vectors near a low-dimensional subspace', async () => {
    const x = lowRankVectors(64, 100, 4, 11);
    const ae = new ParameterAutoencoder(options);
    const initial = await evalError(ae, x);
    train(ae, x, 300);
    const final = await evalError(ae, x);
    expect(Number.isFinite(final)).toBe(true);
    expect(final).toBeLessThan(0.2 * initial);
    x.dispose();
    ae.dispose();
  });

  it('trains the variational option with a finite KL term', async () => {
    const x = lowRankVectors(64, 100, 4, 12);
    const ae = new ParameterAutoencoder({ ...options, variational: true });
    expect(ae.namedParameters().map(([n]) => n)).toContain('to_log_var.weight');
    const initial = await evalError(ae, x);
    train(ae, x, 300);
    const final = await evalError(ae, x);
    expect(final).toBeLessThan(0.2 * initial);
    const terms = ae.lossTerms(x);
    const kl = await terms.kl!.array();
    const reconstruction = await terms.reconstruction.array();
    expect(Number.isFinite(kl)).toBe(true);
    expect(kl).toBeGreaterThan(0);
    expect(await terms.loss.array()).toBeCloseTo(reconstruction + 1e-3 * kl, 4);
    tf.dispose([terms.loss, terms.reconstruction, terms.kl!]);
    x.dispose();
    ae.dispose();
  });

  it('leaks no tensors over training steps, loss evaluation and inference', async () => {
    const x = lowRankVectors(8, 30, 2, 13);
    for (const variational of [false, true]) {
      const ae = new ParameterAutoencoder({ ...options, inputDim: 30, variational });
      const optimizer = new AdamW(ae.parameters());
      // One warm-up step: the first call may create lasting state (optimizer slots exist already).
      optimizer.minimize(() => ae.loss(x)).loss.dispose();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) optimizer.minimize(() => ae.loss(x)).loss.dispose();
      const terms = ae.lossTerms(x);
      tf.dispose([terms.loss, terms.reconstruction, terms.kl ?? []]);
      ae.forward(x).dispose();
      ae.encode(x, { training: true }).dispose();
      const dist = ae.encodeDistribution(x);
      tf.dispose([dist.mean, dist.logVar ?? []]);
      expect(tf.memory().numTensors).toBe(before);
      optimizer.dispose();
      ae.dispose();
    }
    x.dispose();
  });
});
