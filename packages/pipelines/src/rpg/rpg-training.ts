import type { DdpmScheduler } from '@pgen/diffusion-core';
import {
  asDenoiser,
  createGenerator,
  type DenoiserModule,
  diffusionTrainingLoss,
} from '@pgen/diffusion-core';
import { AdamW, cosineWithWarmup, Rng } from '@pgen/nn';
import type { EncodedTokens } from '@pgen/tensor-tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import type { PrototypeNetwork } from './prototype-network';
import type { RpgConfig } from './rpg-config';

/** Reported after every optimiser step of {@link trainRpg}. */
export interface RpgFitProgress {
  /** Steps done (1-based) and in all. */
  step: number;
  steps: number;
  /** This step's masked ε loss. */
  loss: number;
  /** Seconds left at the mean pace so far. */
  etaSeconds: number;
}

/** What {@link trainRpg} trains, in place. */
export interface RpgTrainingParts {
  network: PrototypeNetwork;
  denoiser: DenoiserModule;
  scheduler: DdpmScheduler;
  /** [tokenCount, dPos] position embeddings, row-major. */
  positions: Float32Array;
  /** Every zoo checkpoint, encoded (same layout). */
  encoded: readonly EncodedTokens[];
}

/**
 * Trains the prototype network and the denoiser jointly, with one AdamW over both: each step
 * takes one zoo checkpoint, runs the prior over every position with that checkpoint's
 * permutation state, and trains the denoiser on a random subset of the checkpoint's tokens,
 * each conditioned on its prototype (RPG's reference trains on a token subset per step, which
 * keeps a step's cost independent of model size). Returns the final step's loss.
 */
export async function trainRpg(
  parts: RpgTrainingParts,
  config: RpgConfig,
  onProgress?: (progress: RpgFitProgress) => void,
): Promise<number> {
  const { network, denoiser, scheduler, encoded } = parts;
  const [tokenCount, tokenSize] = encoded[0]!.shape;
  const dPos = parts.positions.length / tokenCount;
  // A step trains on tokensPerStep (token, timestep) pairs: distinct tokens while the model has
  // enough, else tokens repeat (each with its own timestep and noise), so small models still get
  // full batches.
  const picks = config.tokensPerStep;
  // Separate streams, so changing how steps are chosen never changes the diffusion noise.
  const stepRng = new Rng(config.seed + 1);
  const noise = createGenerator(config.seed, 1);
  const params = [...network.parameters(), ...denoiser.parameters()];
  const optimizer = new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  const schedule = cosineWithWarmup({
    baseLr: config.lr,
    warmupSteps: config.warmupSteps,
    totalSteps: config.steps,
  });
  const model = asDenoiser(denoiser);
  const positions = tf.tensor2d(parts.positions, [tokenCount, dPos]);
  const order = Int32Array.from({ length: tokenCount }, (_, i) => i);
  const x0Data = new Float32Array(picks * tokenSize);
  const maskData = new Float32Array(picks * tokenSize);
  network.train();
  denoiser.train();
  const started = Date.now();
  let last = Number.NaN;
  try {
    for (let step = 0; step < config.steps; step++) {
      optimizer.setLearningRate(schedule(step));
      const c = stepRng.int(encoded.length);
      const chosen = pickTokens(order, picks, stepRng);
      const { tokens, mask } = encoded[c]!;
      for (let r = 0; r < picks; r++) {
        const from = chosen[r]! * tokenSize;
        for (let j = 0; j < tokenSize; j++) {
          const m = mask[from + j]!;
          maskData[r * tokenSize + j] = m;
          // Padding may hold NaN; zero it so it cannot leak into the noised input.
          x0Data[r * tokenSize + j] = m ? tokens[from + j]! : 0;
        }
      }
      const x0 = tf.tensor2d(x0Data, [picks, tokenSize]);
      const maskT = tf.tensor2d(maskData, [picks, tokenSize]);
      const index = tf.tensor1d(chosen, 'int32');
      const checkpoint = tf.tensor1d([c], 'int32');
      const { loss, gradNorm } = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const prototypes = network.forward(positions, checkpoint);
            const condition = tf.gather(tf.squeeze(prototypes, [0]), index);
            return diffusionTrainingLoss({
              scheduler,
              model,
              x0,
              condition,
              mask: maskT,
              rng: noise,
            });
          }),
        { clipNorm: config.clipNorm },
      );
      // data(), not dataSync(): the latter does not work on the WebGPU backend.
      last = (await loss.data())[0]!;
      tf.dispose([loss, x0, maskT, index, checkpoint]);
      gradNorm?.dispose();
      const elapsed = (Date.now() - started) / 1000;
      onProgress?.({
        step: step + 1,
        steps: config.steps,
        loss: last,
        etaSeconds: (elapsed / (step + 1)) * (config.steps - step - 1),
      });
    }
  } finally {
    positions.dispose();
    optimizer.dispose();
    network.eval();
    denoiser.eval();
  }
  return last;
}

/** Moves `k` uniformly chosen entries of `order` to its front and returns a copy of them. */
/** k token indices: distinct when k ≤ the token count, otherwise drawn with replacement. */
function pickTokens(order: Int32Array, k: number, rng: Rng): Int32Array {
  if (k > order.length) return Int32Array.from({ length: k }, () => rng.int(order.length));
  return partialShuffle(order, k, rng);
}

function partialShuffle(order: Int32Array, k: number, rng: Rng): Int32Array {
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(order.length - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order.slice(0, k);
}
