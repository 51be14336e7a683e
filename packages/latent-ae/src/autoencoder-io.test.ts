import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { AdamW } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTOENCODER_CONFIG_NAME,
  AUTOENCODER_WEIGHTS_NAME,
  loadAutoencoder,
  saveAutoencoder,
} from './autoencoder-io';
import { LatentAeError } from './errors';
import { ParameterAutoencoder } from './parameter-autoencoder';
import { lowRankVectors } from './test-support';

let dir: string;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgen-latent-ae-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A few training steps, so that weights and batch-norm statistics differ from their initial values. */
function trained(variational: boolean): ParameterAutoencoder {
  const ae = new ParameterAutoencoder({
    inputDim: 37,
    channels: [4, 8, 8],
    latentDim: 5,
    kernelSize: 3,
    variational,
    seed: 9,
  });
  const x = lowRankVectors(6, 37, 2, 1);
  const optimizer = new AdamW(ae.parameters());
  for (let i = 0; i < 3; i++) optimizer.minimize(() => ae.loss(x)).loss.dispose();
  optimizer.dispose();
  x.dispose();
  return ae.eval();
}

describe('saveAutoencoder / loadAutoencoder', () => {
  for (const variational of [false, true]) {
    it(`round-trips config, weights and outputs exactly (variational ${variational})`, async () => {
      const ae = trained(variational);
      await saveAutoencoder(dir, ae);
      expect((await readdir(dir)).sort()).toEqual(
        [AUTOENCODER_CONFIG_NAME, AUTOENCODER_WEIGHTS_NAME].sort(),
      );
      const loaded = await loadAutoencoder(dir);
      expect(loaded.training).toBe(false);
      expect(loaded.config).toEqual(ae.config);
      const original = await ae.stateDict();
      const reloaded = await loaded.stateDict();
      expect([...reloaded.keys()]).toEqual([...original.keys()]);
      for (const [name, data] of original) expect(reloaded.get(name)).toEqual(data);
      const x = lowRankVectors(4, 37, 2, 2);
      const z = tf.tensor2d(
        new Float32Array(4 * 5).map((_, i) => Math.sin(i)),
        [4, 5],
      );
      const [a, b] = [ae.forward(x), loaded.forward(x)];
      const [da, db] = [ae.decode(z), loaded.decode(z)];
      expect(await b.array()).toEqual(await a.array());
      expect(await db.array()).toEqual(await da.array());
      tf.dispose([x, z, a, b, da, db]);
      ae.dispose();
      loaded.dispose();
    });
  }

  it('reports a missing or invalid config with the file name', async () => {
    await expect(loadAutoencoder(dir)).rejects.toThrow(LatentAeError);
    await expect(loadAutoencoder(dir)).rejects.toThrow(AUTOENCODER_CONFIG_NAME);
    const ae = trained(false);
    await saveAutoencoder(dir, ae);
    const configPath = join(dir, AUTOENCODER_CONFIG_NAME);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, kernelSize: 2 }));
    await expect(loadAutoencoder(dir)).rejects.toThrow(
      /autoencoder_config\.json: .*kernelSize must be odd/,
    );
    // Weights that do not fit the config are refused, naming the weights file.
    await writeFile(configPath, JSON.stringify({ ...config, latentDim: 7 }));
    await expect(loadAutoencoder(dir)).rejects.toThrow(AUTOENCODER_WEIGHTS_NAME);
    ae.dispose();
  });
});
