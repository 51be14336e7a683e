import { Module, type Rng } from '@pgen/nn';
import { type PriorConfig, PriorInput, priorFromConfig } from '@pgen/recurrent-prior';
import * as tf from '@tensorflow/tfjs-core';
import { PositionMlp } from './position-mlp';
import type { RpgPriorKind } from './rpg-config';

/** What rebuilds a {@link PrototypeNetwork} (saved in `rpg_config.json`). */
export interface PrototypeNetworkConfig {
  kind: RpgPriorKind;
  /** Width of the position embedding. */
  dPos: number;
  dModel: number;
  /** Zoo checkpoints, one learned permutation state each. */
  numCheckpoints: number;
  /** The recurrent prior's resolved config; absent for `none`. */
  prior?: PriorConfig;
  /**
   * Token size when the prior is teacher-forced (position p also sees clean token p − 1, as
   * the RPG paper describes and its reference code omits); absent otherwise.
   */
  teacherForcingTokenSize?: number;
}

/**
 * RPG's prototype path: `PriorInput` (projected position embedding + the permutation state of
 * a zoo checkpoint) → prior → one prototype per token, [batch, positions, dModel]. Children:
 * `input` (the PriorInput) and `prior`.
 */
export class PrototypeNetwork extends Module {
  readonly input: PriorInput;
  readonly prior: Module & { forward(x: tf.Tensor): tf.Tensor };
  readonly config: PrototypeNetworkConfig;

  constructor(config: PrototypeNetworkConfig, init: { rng?: Rng } = {}) {
    super();
    const { dPos, dModel, numCheckpoints } = config;
    this.input = this.addModule(
      'input',
      new PriorInput(
        { dIn: dModel, dPos, numCheckpoints, tokenSize: config.teacherForcingTokenSize },
        init,
      ),
    );
    if (config.kind === 'none') {
      this.prior = this.addModule('prior', new PositionMlp({ dIn: dModel, dModel }, init));
      this.config = { ...config };
    } else {
      const prior = priorFromConfig(config.prior!, init);
      this.prior = this.addModule('prior', prior);
      // Keep the prior's resolved options, so a reload rebuilds exactly the same shapes.
      this.config = { ...config, prior: prior.config };
    }
  }

  /** Builds the config of a fresh network of `kind` with `layers` prior layers. */
  static configFor(
    kind: RpgPriorKind,
    sizes: {
      dPos: number;
      dModel: number;
      numCheckpoints: number;
      layers: number;
      priorOptions?: Record<string, number | boolean>;
    },
  ): PrototypeNetworkConfig {
    const { dPos, dModel, numCheckpoints, layers } = sizes;
    const base = { kind, dPos, dModel, numCheckpoints };
    const options = { ...sizes.priorOptions, dIn: dModel, dModel, numLayers: layers };
    switch (kind) {
      case 'none':
        return base;
      case 'lstm':
        return { ...base, prior: { type: 'LstmPrior', options } as PriorConfig };
      case 'transformer':
        return { ...base, prior: { type: 'TransformerPrior', options } as PriorConfig };
      default:
        return { ...base, prior: { type: 'MambaPrior', options } as PriorConfig };
    }
  }

  /** True when prototypes depend on the previous clean token (see `teacherForcingTokenSize`). */
  get teacherForced(): boolean {
    return this.config.teacherForcingTokenSize !== undefined;
  }

  /**
   * Prototypes [batch, positions, dModel] for `positions` [positions, dPos], the int32
   * zoo-checkpoint index of each row and, when teacher-forced, the clean tokens
   * [batch, positions, tokenSize] (prototype p reads token p − 1 only).
   */
  forward(positions: tf.Tensor, checkpoint: tf.Tensor, tokens?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.prior.forward(this.input.forward({ positions, checkpoint, tokens })));
  }
}
