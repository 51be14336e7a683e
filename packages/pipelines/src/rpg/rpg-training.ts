import type { DdpmScheduler } from '@pgen/diffusion-core';
import {
  asDenoiser,
  createGenerator,
  type DenoiserModule,
  diffusionTrainingLoss,
} from '@pgen/diffusion-core';
import { AdamW, cosineWithWarmup, Rng } from '@pgen/nn';
import type { LabelledSet } from '@pgen/task-encoder';
import type { EncodedTokens } from '@pgen/tensor-tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import type { PrototypeNetwork, RpgTaskInput } from './prototype-network';
import type { RpgConfig } from './rpg-config';
import { RpgError } from './rpg-error';
import {
  type RpgCheckpointing,
  restoreTrainingState,
  saveTrainingState,
} from './rpg-training-state';

/** Reported after every optimiser step of {@link trainRpg}. */
export interface RpgFitProgress {
  /** Steps done (1-based) and in all. */
  step: number;
  steps: number;
  /** This step's masked ε loss. */
  loss: number;
  /** Seconds left at the mean pace so far (of this run, when resumed). */
  etaSeconds: number;
  /** The step this run resumed after (0 for a fresh fit). */
  resumedFrom: number;
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
  /** Each checkpoint's task code, for a task-conditioned network. */
  taskCodes?: readonly string[];
  /**
   * Labelled examples of checkpoint `index`'s task, drawn with `rng` (a task-examples network):
   * a fresh set every step, so the encoder learns the task, not one particular set.
   */
  taskExamples?: (index: number, rng: Rng) => LabelledSet;
  /**
   * Runs once before the first step of a fresh fit and never on resuming, whose checkpoint
   * already holds its outcome: the supervised pretraining of a frozen feature extractor.
   */
  pretrain?: () => Promise<void>;
}

/**
 * Trains the prototype network and the denoiser jointly, with one AdamW over both (less a
 * frozen feature extractor, see `PrototypeNetwork.trainableParameters`): each step
 * takes one zoo checkpoint, runs the prior over every position with that checkpoint's
 * permutation state, and trains the denoiser on a random subset of the checkpoint's tokens,
 * each conditioned on its prototype (RPG's reference trains on a token subset per step, which
 * keeps a step's cost independent of model size). Returns the final step's loss.
 */
export async function trainRpg(
  parts: RpgTrainingParts,
  config: RpgConfig,
  onProgress?: (progress: RpgFitProgress) => void,
  checkpointing?: RpgCheckpointing,
): Promise<number> {
  const { network, denoiser, scheduler, encoded } = parts;
  const [tokenCount, tokenSize] = encoded[0]!.shape;
  const dPos = parts.positions.length / tokenCount;
  // A step trains on tokensPerStep (token, timestep) pairs: distinct tokens while the model has
  // enough, else tokens repeat (each with its own timestep and noise), so small models still get
  // full batches.
  const picks = config.tokensPerStep;
  const params = [...network.trainableParameters(), ...denoiser.parameters()];
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
  const every = checkpointing?.every ?? 200;
  if (checkpointing && (!Number.isInteger(every) || every < 1)) {
    throw new RpgError(`checkpoint interval must be a positive integer, got ${every}`);
  }
  let first = 0;
  let last = Number.NaN;
  if (checkpointing) {
    const restored = await restoreTrainingState(checkpointing, {
      config,
      network,
      denoiser,
      optimizer,
    });
    first = Math.min(restored.step, config.steps);
    last = restored.loss;
  }
  network.train();
  denoiser.train();
  let started = Date.now();
  try {
    if (first === 0 && parts.pretrain) {
      await parts.pretrain();
      // The ETA is of the diffusion steps alone.
      started = Date.now();
    }
    for (let step = first; step < config.steps; step++) {
      optimizer.setLearningRate(schedule(step));
      // Randomness is a function of (seed, step), so a resumed fit takes exactly the steps an
      // uninterrupted one would; separate streams, so how steps are chosen never changes the
      // diffusion noise.
      const stepRng = new Rng(stepSeed(config.seed, step));
      const noise = createGenerator(config.seed, 1 + step);
      const c = stepRng.int(encoded.length);
      for (let i = 0; i < tokenCount; i++) order[i] = i;
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
      // Teacher forcing reads the whole clean sequence (padding zeroed, as in x0).
      const clean = network.teacherForced
        ? cleanSequence(encoded[c]!, tokenCount, tokenSize)
        : undefined;
      const task: RpgTaskInput | undefined = parts.taskExamples
        ? [parts.taskExamples(c, stepRng)]
        : parts.taskCodes
          ? [parts.taskCodes[c]!]
          : undefined;
      const { loss, gradNorm } = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const prototypes = network.forward(positions, checkpoint, clean, task);
            const condition = tf.gather(tf.squeeze(prototypes, [0]), index);
            return diffusionTrainingLoss({
              scheduler,
              model,
              x0,
              condition,
              mask: maskT,
              rng: noise,
              reduction: config.lossReduction === 'token' ? 'rows' : 'elements',
            });
          }),
        { clipNorm: config.clipNorm },
      );
      // data(), not dataSync(): the latter does not work on the WebGPU backend.
      last = (await loss.data())[0]!;
      tf.dispose([loss, x0, maskT, index, checkpoint]);
      clean?.dispose();
      gradNorm?.dispose();
      const elapsed = (Date.now() - started) / 1000;
      const done = step + 1 - first;
      onProgress?.({
        step: step + 1,
        steps: config.steps,
        loss: last,
        etaSeconds: (elapsed / done) * (config.steps - step - 1),
        resumedFrom: first,
      });
      if (checkpointing && ((step + 1) % every === 0 || step + 1 === config.steps)) {
        await saveTrainingState(checkpointing, {
          step: step + 1,
          loss: last,
          config,
          network,
          denoiser,
          optimizer,
        });
      }
    }
  } finally {
    positions.dispose();
    optimizer.dispose();
    network.eval();
    denoiser.eval();
  }
  return last;
}

function cleanSequence(encoded: EncodedTokens, tokenCount: number, tokenSize: number): tf.Tensor {
  const { tokens, mask } = encoded;
  const data = new Float32Array(tokenCount * tokenSize);
  for (let i = 0; i < data.length; i++) data[i] = mask[i] ? tokens[i]! : 0;
  return tf.tensor3d(data, [1, tokenCount, tokenSize]);
}

/** A 32-bit seed per (seed, step), hashed so neighbouring steps draw unrelated streams. */
function stepSeed(seed: number, step: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

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
