import { LayerNorm, Linear, Module, ModuleList, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { Mamba, type MambaOptions, type MambaSegmentState } from './mamba/mamba-layer';
import {
  assertPriorInput,
  type PriorSegment,
  type PriorSegmentState,
  type RecurrentPrior,
} from './recurrent-prior';

/** Options of {@link MambaPrior}: sizes, depth, and every {@link Mamba} option but the rng. */
export interface MambaPriorOptions extends Omit<MambaOptions, 'rng' | 'dtRank'> {
  /** Features per input position. */
  dIn: number;
  /** Width of the residual stream, which is the prototype size. */
  dModel: number;
  /** Residual Mamba blocks (default 2). */
  numLayers?: number;
  /** Rank of Δ's projection (default ⌈dModel / 16⌉). */
  dtRank?: number;
  /** LayerNorm epsilon (default 1e-5). */
  normEps?: number;
}

/** {@link MambaPrior}'s options as saved: every default filled in. */
export type MambaPriorConfig = { type: 'MambaPrior'; options: Required<MambaPriorOptions> };

/** Pre-norm residual block, as mamba_ssm's `Block`: x + mixer(norm(x)). */
export class MambaBlock extends Module {
  readonly norm: LayerNorm;
  readonly mixer: Mamba;

  constructor(dModel: number, options: MambaOptions & { normEps?: number }) {
    super();
    this.norm = this.addModule('norm', new LayerNorm(dModel, { eps: options.normEps ?? 1e-5 }));
    this.mixer = this.addModule('mixer', new Mamba(dModel, options));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(x, this.mixer.forward(this.norm.forward(x))));
  }

  /** {@link forward} on a segment, carrying the mixer's state (see `Mamba.forwardSegment`). */
  forwardSegment(x: tf.Tensor, state?: MambaSegmentState) {
    return tf.tidy(() => {
      const mixed = this.mixer.forwardSegment(this.norm.forward(x), state);
      return { output: tf.add(x, mixed.output), state: mixed.state };
    });
  }
}

/**
 * RPG's Mamba prior: input_proj (Linear dIn → dModel), numLayers × (x + Mamba(LayerNorm(x))),
 * then norm_f. Names follow mamba_ssm's MixerModel (`layers.0.mixer.A_log`, `norm_f.weight`).
 * The selective scan runs chunked, with no loop over positions (see `selectiveScan`).
 */
export class MambaPrior extends Module implements RecurrentPrior {
  readonly dIn: number;
  readonly dModel: number;
  readonly config: MambaPriorConfig;
  readonly inputProj: Linear;
  readonly layers: ModuleList<MambaBlock>;
  readonly normF: LayerNorm;

  constructor(options: MambaPriorOptions, init: { rng?: Rng } = {}) {
    super();
    const resolved: Required<MambaPriorOptions> = {
      numLayers: 2,
      dState: 16,
      dConv: 4,
      expand: 2,
      dtRank: Math.ceil(options.dModel / 16),
      dtMin: 0.001,
      dtMax: 0.1,
      dtInitFloor: 1e-4,
      dtScale: 1,
      convBias: true,
      bias: false,
      chunkSize: 16,
      normEps: 1e-5,
      ...options,
    };
    this.config = { type: 'MambaPrior', options: resolved };
    const { dIn, dModel, numLayers, normEps, ...mamba } = resolved;
    this.dIn = dIn;
    this.dModel = dModel;
    const rng = init.rng;
    this.inputProj = this.addModule('input_proj', new Linear(dIn, dModel, { rng }));
    this.layers = this.addModule(
      'layers',
      new ModuleList(
        Array.from({ length: numLayers }, () => new MambaBlock(dModel, { ...mamba, normEps, rng })),
      ),
    );
    this.normF = this.addModule('norm_f', new LayerNorm(dModel, { eps: normEps }));
  }

  /** [batch, positions, dIn] → [batch, positions, dModel]. */
  forward(x: tf.Tensor): tf.Tensor {
    assertPriorInput('MambaPrior', x, this.dIn);
    return tf.tidy(() => {
      let h = this.inputProj.forward(x);
      for (const block of this.layers.items) h = block.forward(h);
      return this.normF.forward(h);
    });
  }

  /** State per layer: [conv, ssm] pairs in layer order. */
  forwardSegment(x: tf.Tensor, state?: PriorSegmentState): PriorSegment {
    assertPriorInput('MambaPrior', x, this.dIn);
    const layers = this.layers.items;
    if (state && state.length !== 2 * layers.length) {
      throw new Error(
        `MambaPrior: segment state has ${state.length} tensors, expected ${2 * layers.length}`,
      );
    }
    return tf.tidy(() => {
      let h = this.inputProj.forward(x);
      const next: tf.Tensor[] = [];
      for (const [i, block] of layers.entries()) {
        const carried = state ? { conv: state[2 * i]!, ssm: state[2 * i + 1]! } : undefined;
        const out = block.forwardSegment(h, carried);
        h = out.output;
        next.push(out.state.conv, out.state.ssm);
      }
      return { output: this.normF.forward(h), state: next };
    });
  }
}
