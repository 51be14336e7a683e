import { Module, Rng, type Sequential } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { type BinaryCode, binaryCodesToArray } from './binary-codes';
import { finiteNumber, positiveInt } from './options';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';
import { twoLayerMlp } from './two-layer-mlp';

export interface BinaryCodeEncoderOptions {
  /** Code length, one bit per class (default 10, MNIST's classes). */
  bits?: number;
  /** Hidden width of the MLP (default 64). */
  hidden?: number;
  /** Width of the condition vector. */
  outputDim: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

/**
 * RPG's condition for binary tasks: a code of `bits` bits (bit i = class i is positive; see
 * `BinaryCode`) through Linear(bits→hidden) → SiLU → Linear(hidden→outputDim). The MLP's
 * weights are `mlp.0.*` and `mlp.2.*`, as a PyTorch `nn.Sequential` named `mlp` has them.
 */
export class BinaryCodeEncoder extends Module implements TaskEncoder<readonly BinaryCode[]> {
  readonly config: TaskEncoderConfig;
  readonly bits: number;
  readonly outputDim: number;
  readonly mlp: Sequential;

  constructor(options: BinaryCodeEncoderOptions) {
    super();
    const owner = 'BinaryCodeEncoder';
    const bits = positiveInt(owner, 'bits', options.bits ?? 10);
    const hidden = positiveInt(owner, 'hidden', options.hidden ?? 64);
    const outputDim = positiveInt(owner, 'outputDim', options.outputDim);
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    this.config = { _class_name: 'BinaryCodeEncoder', bits, hidden, outputDim, seed };
    this.bits = bits;
    this.outputDim = outputDim;
    this.mlp = this.addModule('mlp', twoLayerMlp(bits, hidden, outputDim, new Rng(seed)));
  }

  /** Condition vectors [codes.length, outputDim] for codes such as '0010000000'. */
  encode(codes: readonly BinaryCode[]): tf.Tensor {
    const bits = binaryCodesToArray(codes, this.bits);
    return tf.tidy(() => this.mlp.forward(tf.tensor2d(bits, [codes.length, this.bits])));
  }
}
