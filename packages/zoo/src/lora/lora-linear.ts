import { defaultBound, Linear, type LinearOptions, Rng, uniformInit } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ZooError } from '../errors';

/** Rank and alpha of one LoRA adapter. */
export interface LoraShape {
  /** Rank r of the update (A is [r, in], B is [out, r]). */
  rank: number;
  /** Scale numerator: the update is scaled by alpha / r, as in PEFT. */
  alpha: number;
}

/** The adapter a `LoraLinear` carries once `addLora` was called. */
interface LoraState extends LoraShape {
  a: Linear;
  b: Linear;
  scaling: number;
}

/**
 * `torch.nn.Linear` that can take a LoRA adapter, as PEFT's `lora.Linear` does:
 * y = x·Wᵀ + b + (alpha / r)·(x·Aᵀ)·Bᵀ with A [r, in] and B [out, r]. Until `addLora` is called it
 * is exactly a `Linear` (same state dict, same forward). Once added, the adapter is a child pair
 * named `lora_A` and `lora_B` (each a bias-free Linear), so its parameters are named
 * `<module>.lora_A.weight` / `<module>.lora_B.weight`: PEFT's saved key names less the
 * `base_model.model.` prefix. The base weight and bias stay as they are; train only the
 * `lora_A`/`lora_B` parameters (see `isLoraParameter`) to keep them frozen.
 */
export class LoraLinear extends Linear {
  private lora: LoraState | undefined;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super(inFeatures, outFeatures, options);
  }

  /** Rank, alpha and scaling of the adapter, or undefined before `addLora`. */
  get loraShape(): (LoraShape & { scaling: number }) | undefined {
    if (!this.lora) return undefined;
    const { rank, alpha, scaling } = this.lora;
    return { rank, alpha, scaling };
  }

  /** A [r, in], or undefined before `addLora`. */
  get loraA(): tf.Variable | undefined {
    return this.lora?.a.weight;
  }

  /** B [out, r], or undefined before `addLora`. */
  get loraB(): tf.Variable | undefined {
    return this.lora?.b.weight;
  }

  /**
   * Adds a rank-`rank` adapter initialised as PEFT does (`resetLora`). A layer takes one adapter
   * for its lifetime; start a new task with `resetLora` rather than a second `addLora`.
   */
  addLora(shape: LoraShape, rng: Rng): void {
    if (this.lora) throw new ZooError('this Linear already has a LoRA adapter; use resetLora');
    const { rank, alpha } = shape;
    if (!Number.isInteger(rank) || rank < 1) {
      throw new ZooError(`LoRA rank must be a positive integer, got ${rank}`);
    }
    if (!Number.isFinite(alpha) || alpha <= 0) {
      throw new ZooError(`LoRA alpha must be a positive number, got ${alpha}`);
    }
    // Built from a throwaway generator: resetLora draws the real initial values from `rng`, so
    // adding an adapter and resetting one with equal generators give equal weights.
    const scratch = new Rng(0);
    const a = this.addModule(
      'lora_A',
      new Linear(this.inFeatures, rank, { bias: false, rng: scratch }),
    );
    const b = this.addModule(
      'lora_B',
      new Linear(rank, this.outFeatures, { bias: false, rng: scratch }),
    );
    this.lora = { a, b, rank, alpha, scaling: alpha / rank };
    this.resetLora(rng);
  }

  /**
   * PEFT's `reset_lora_parameters`: A from `kaiming_uniform_(a=√5)`, which is U(±1/√in), and B
   * zeros, so a fresh adapter leaves the layer's output unchanged.
   */
  resetLora(rng: Rng): void {
    const lora = this.requireLora();
    const a = uniformInit([lora.rank, this.inFeatures], defaultBound(this.inFeatures), rng);
    const b = tf.zeros([this.outFeatures, lora.rank]);
    lora.a.weight.assign(a);
    lora.b.weight.assign(b);
    tf.dispose([a, b]);
  }

  /** Changes alpha (the scaling becomes alpha / r), e.g. to that of an adapter being loaded. */
  setLoraAlpha(alpha: number): void {
    const lora = this.requireLora();
    if (!Number.isFinite(alpha) || alpha <= 0) {
      throw new ZooError(`LoRA alpha must be a positive number, got ${alpha}`);
    }
    lora.alpha = alpha;
    lora.scaling = alpha / lora.rank;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const lora = this.lora;
    if (!lora) return super.forward(x);
    return tf.tidy(() => {
      const update = tf.mul(lora.b.forward(lora.a.forward(x)), lora.scaling);
      return tf.add(super.forward(x), update);
    });
  }

  private requireLora(): LoraState {
    if (!this.lora) throw new ZooError('this Linear has no LoRA adapter (call addLora first)');
    return this.lora;
  }
}
