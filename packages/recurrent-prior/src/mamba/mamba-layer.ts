import { Conv1d, getDefaultRng, Linear, Module, type Rng, silu, uniformInit } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { selectiveScan, selectiveScanWithState } from './selective-scan';

/** Options of {@link Mamba}; the defaults are `mamba_simple.Mamba`'s. */
export interface MambaOptions {
  /** State size N per channel (default 16). */
  dState?: number;
  /** Kernel of the causal depthwise conv (default 4). */
  dConv?: number;
  /** d_inner = expand · d_model (default 2). */
  expand?: number;
  /** Rank of the Δ projection (default ⌈d_model / 16⌉, the reference's 'auto'). */
  dtRank?: number;
  /** Range the initial Δ is drawn from, log-uniformly (defaults 0.001 and 0.1). */
  dtMin?: number;
  dtMax?: number;
  /** Smallest initial Δ (default 1e-4). */
  dtInitFloor?: number;
  /** Scales dt_proj's initial weights, uniform in ±dtScale/√dtRank (default 1). */
  dtScale?: number;
  /** Bias on conv1d (default true). */
  convBias?: boolean;
  /** Bias on in_proj and out_proj (default false). */
  bias?: boolean;
  /** Positions per chunk of the selective scan (default 16); see `selectiveScan`. */
  chunkSize?: number;
  /** Seeded source for every initialisation. */
  rng?: Rng;
}

/**
 * What one {@link Mamba} carries from one segment of a sequence to the next: the last
 * d_conv − 1 conv inputs [batch, d_conv − 1, d_inner] and the SSM state [batch, d_inner,
 * d_state]. The tensors belong to the holder.
 */
export type MambaSegmentState = {
  conv: tf.Tensor;
  ssm: tf.Tensor;
};

/**
 * One Mamba (S6) mixer with the names and layouts of `mamba_ssm.modules.mamba_simple.Mamba`:
 * in_proj [2·d_inner, d_model], conv1d (depthwise, causal) [d_inner, 1, d_conv], x_proj
 * [dt_rank + 2·d_state, d_inner], dt_proj (dt_rank → d_inner, with bias), A_log
 * [d_inner, d_state], D [d_inner], out_proj [d_model, d_inner]. Maps [batch, length, d_model]
 * to the same shape; position t sees only positions ≤ t.
 */
export class Mamba extends Module {
  readonly dInner: number;
  readonly dState: number;
  readonly dtRank: number;
  readonly chunkSize: number;
  readonly dConv: number;
  readonly inProj: Linear;
  readonly conv1d: Conv1d;
  readonly xProj: Linear;
  readonly dtProj: Linear;
  readonly ALog: tf.Variable;
  readonly D: tf.Variable;
  readonly outProj: Linear;

  constructor(
    readonly dModel: number,
    options: MambaOptions = {},
  ) {
    super();
    const rng = options.rng;
    this.dState = options.dState ?? 16;
    const dConv = options.dConv ?? 4;
    this.dConv = dConv;
    this.dInner = (options.expand ?? 2) * dModel;
    this.dtRank = options.dtRank ?? Math.ceil(dModel / 16);
    this.chunkSize = options.chunkSize ?? 16;
    const bias = options.bias ?? false;
    this.inProj = this.addModule('in_proj', new Linear(dModel, 2 * this.dInner, { bias, rng }));
    // Causal: pad d_conv − 1 on the left only, so the output keeps the input's length (the
    // reference pads both sides and cuts the tail, which is the same).
    this.conv1d = this.addModule(
      'conv1d',
      new Conv1d(this.dInner, this.dInner, dConv, {
        groups: this.dInner,
        padding: [dConv - 1, 0],
        bias: options.convBias ?? true,
        rng,
      }),
    );
    this.xProj = this.addModule(
      'x_proj',
      new Linear(this.dInner, this.dtRank + 2 * this.dState, { bias: false, rng }),
    );
    this.dtProj = this.addModule('dt_proj', new Linear(this.dtRank, this.dInner, { rng }));
    this.initDtProj(options, rng);
    const aLog = new Float32Array(this.dInner * this.dState);
    for (let i = 0; i < aLog.length; i++) aLog[i] = Math.log((i % this.dState) + 1);
    this.ALog = this.addParameter('A_log', tf.tensor2d(aLog, [this.dInner, this.dState]));
    this.D = this.addParameter('D', tf.ones([this.dInner]));
    this.outProj = this.addModule('out_proj', new Linear(this.dInner, dModel, { bias, rng }));
  }

  /**
   * The reference's Δ initialisation: weights uniform in ±dtScale/√dtRank, and a bias that is
   * softplus⁻¹ of Δ drawn log-uniformly in [dtMin, dtMax], so softplus(bias) starts in range.
   */
  private initDtProj(options: MambaOptions, rng: Rng | undefined): void {
    const std = (options.dtScale ?? 1) * this.dtRank ** -0.5;
    const weight = uniformInit([this.dInner, this.dtRank], std, rng);
    this.dtProj.weight.assign(weight);
    weight.dispose();
    const [dtMin, dtMax] = [options.dtMin ?? 0.001, options.dtMax ?? 0.1];
    const floor = options.dtInitFloor ?? 1e-4;
    // Drawn in JS (the same numbers uniformInit would upload), so no device read is needed.
    const u01 = (rng ?? getDefaultRng()).uniformArray(this.dInner, -0.5, 0.5);
    const invDt = new Float32Array(this.dInner);
    for (let i = 0; i < this.dInner; i++) {
      const dt = Math.max(
        floor,
        Math.exp((u01[i]! + 0.5) * (Math.log(dtMax) - Math.log(dtMin)) + Math.log(dtMin)),
      );
      // softplus⁻¹(dt) = dt + log(−expm1(−dt)), exact in float64 even for tiny dt.
      invDt[i] = dt + Math.log(-Math.expm1(-dt));
    }
    const biasValue = tf.tensor1d(invDt);
    this.dtProj.bias!.assign(biasValue);
    biasValue.dispose();
  }

  /** [batch, length, d_model] → [batch, length, d_model]. */
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [x, z] = tf.split(this.inProj.forward(hidden), 2, -1) as [tf.Tensor, tf.Tensor];
      const u = silu(this.conv1d.forward(x));
      return this.outProj.forward(
        tf.mul(selectiveScan(this.scanInputs(u), this.scanOptions), silu(z)),
      );
    });
  }

  /**
   * The same map on one segment of a longer sequence, continuing from `state` (the sequence's
   * start when omitted) and returning the state after the segment: running a sequence segment
   * by segment gives the outputs of one {@link forward}, with memory bounded by the segment.
   */
  forwardSegment(
    hidden: tf.Tensor,
    state?: MambaSegmentState,
  ): { output: tf.Tensor; state: MambaSegmentState } {
    return tf.tidy(() => {
      const [batch, length] = hidden.shape as [number, number, number];
      const [x, z] = tf.split(this.inProj.forward(hidden), 2, -1) as [tf.Tensor, tf.Tensor];
      const history = state?.conv ?? tf.zeros([batch, this.dConv - 1, this.dInner]);
      // The conv pads d_conv − 1 zeros on the left; with the history in front, the last
      // `length` outputs are exactly those the whole sequence would give here.
      const extended = tf.concat([history, x], 1);
      const convolved = this.conv1d.forward(extended);
      const u = silu(tf.slice(convolved, [0, this.dConv - 1, 0], [-1, length, -1]));
      const { y, finalState } = selectiveScanWithState(
        this.scanInputs(u),
        state?.ssm,
        this.scanOptions,
      );
      const conv = tf.slice(extended, [0, length, 0], [-1, this.dConv - 1, -1]);
      const output = this.outProj.forward(tf.mul(y, silu(z)));
      return { output, state: { conv, ssm: finalState } };
    });
  }

  private get scanOptions() {
    return { chunkSize: this.chunkSize };
  }

  /** Δ, A, B, C, D of the scan over u (after the conv). */
  private scanInputs(u: tf.Tensor) {
    const [dtLow, B, C] = tf.split(
      this.xProj.forward(u),
      [this.dtRank, this.dState, this.dState],
      -1,
    );
    const delta = tf.softplus(this.dtProj.forward(dtLow!));
    const A = tf.neg(tf.exp(this.ALog));
    return { u, delta, A, B: B!, C: C!, D: this.D };
  }
}
