import { Module, type Rng } from '@pgen/nn';
import {
  type PriorConfig,
  PriorInput,
  type PriorSegment,
  type PriorSegmentState,
  priorFromConfig,
} from '@pgen/recurrent-prior';
import {
  BinaryCodeEncoder,
  DatasetEncoder,
  type LabelledSet,
  type TaskEncoderConfig,
  taskEncoderFromConfig,
} from '@pgen/task-encoder';
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
  /** The task-condition encoder's config and where the condition goes; absent if unconditioned. */
  condition?: { encoder: TaskEncoderConfig; lastK?: number };
}

/**
 * The task a prototype pass is for: 10-bit class codes (a `BinaryCodeEncoder` condition) or
 * labelled example sets (a `DatasetEncoder` condition), one per batch row.
 */
export type RpgTaskInput = readonly (string | readonly number[])[] | readonly LabelledSet[];

/**
 * RPG's prototype path: `PriorInput` (projected position embedding + the permutation state of
 * a zoo checkpoint) → prior → one prototype per token, [batch, positions, dModel]. Children:
 * `input` (the PriorInput) and `prior`.
 */
export class PrototypeNetwork extends Module {
  readonly input: PriorInput;
  readonly conditionEncoder: BinaryCodeEncoder | DatasetEncoder | undefined;
  readonly prior: Module & {
    forward(x: tf.Tensor): tf.Tensor;
    forwardSegment?(x: tf.Tensor, state?: PriorSegmentState): PriorSegment;
  };
  readonly config: PrototypeNetworkConfig;

  constructor(config: PrototypeNetworkConfig, init: { rng?: Rng } = {}) {
    super();
    const { dPos, dModel, numCheckpoints } = config;
    this.input = this.addModule(
      'input',
      new PriorInput(
        {
          dIn: dModel,
          dPos,
          // Under a task condition the condition tells checkpoints apart, and a permutation state
          // (which belongs to one seen task) would fight it, above all for an unseen task.
          numCheckpoints: config.condition ? undefined : numCheckpoints,
          tokenSize: config.teacherForcingTokenSize,
          dCond: config.condition ? dModel : undefined,
          condLastK: config.condition?.lastK,
        },
        init,
      ),
    );
    this.conditionEncoder = config.condition
      ? this.addModule(
          'condition_encoder',
          taskEncoderFromConfig(config.condition.encoder) as BinaryCodeEncoder | DatasetEncoder,
        )
      : undefined;
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

  /** False for a task-conditioned network, which has no per-checkpoint permutation states. */
  get hasPermutationStates(): boolean {
    return this.config.condition === undefined;
  }

  /**
   * The zoo checkpoint whose permutation state a generated model uses, drawn uniformly; a
   * placeholder index for a network without permutation states. int32 [1].
   */
  randomCheckpoint(rng: Rng): tf.Tensor {
    return this.hasPermutationStates
      ? this.input.randomCheckpoints(1, rng)
      : tf.tensor1d([0], 'int32');
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
  forward(
    positions: tf.Tensor,
    checkpoint: tf.Tensor,
    tokens?: tf.Tensor,
    task?: RpgTaskInput,
  ): tf.Tensor {
    return tf.tidy(() => {
      const condition = this.encodeTask(task);
      const states = this.hasPermutationStates;
      return this.prior.forward(
        this.input.forward({
          positions,
          checkpoint: states ? checkpoint : undefined,
          tokens,
          condition,
          batch: checkpoint.shape[0],
        }),
      );
    });
  }

  /** True when the prior can run a window at a time with a carried state (not the Transformer). */
  get segmentable(): boolean {
    return typeof this.prior.forwardSegment === 'function';
  }

  /**
   * Prototypes [1, positions, dModel] of one window of the sequence (absolute positions
   * `offset` … of `total`), continuing from the prior state after the previous window, and the
   * state after this one. Window by window, the prototypes equal {@link forward}'s, so
   * generation memory follows the window, not the model. Teacher-forced: `previousTokens`
   * [1, positions, tokenSize] holds the clean token before each position.
   */
  forwardWindow(window: {
    positions: tf.Tensor;
    checkpoint: tf.Tensor;
    offset: number;
    total: number;
    previousTokens?: tf.Tensor;
    task?: RpgTaskInput;
    state?: PriorSegmentState;
  }): PriorSegment {
    if (!this.prior.forwardSegment) {
      throw new Error(`the ${this.config.kind} prior cannot run window by window`);
    }
    return tf.tidy(() => {
      const condition = this.encodeTask(window.task);
      const x = this.input.forward({
        positions: window.positions,
        checkpoint: this.hasPermutationStates ? window.checkpoint : undefined,
        previousTokens: window.previousTokens,
        condition,
        offset: window.offset,
        total: window.total,
        batch: window.checkpoint.shape[0],
      });
      return this.prior.forwardSegment!(x, window.state);
    });
  }

  /**
   * The weights RPG's training updates: all of them, less a frozen (pretrained) feature
   * extractor of a dataset-encoder condition.
   */
  trainableParameters(): tf.Variable[] {
    const encoder = this.conditionEncoder;
    if (!(encoder instanceof DatasetEncoder) || !encoder.frozenExtractor) return this.parameters();
    const trainable = new Set(encoder.trainableParameters());
    const own = new Set(encoder.parameters());
    return this.parameters().filter((p) => !own.has(p) || trainable.has(p));
  }

  /** True when the condition is a set of labelled examples rather than a task code. */
  get takesExamples(): boolean {
    return this.conditionEncoder instanceof DatasetEncoder;
  }

  private encodeTask(task: RpgTaskInput | undefined): tf.Tensor | undefined {
    const encoder = this.conditionEncoder;
    if (!encoder) return undefined;
    if (encoder instanceof DatasetEncoder) return encoder.encode((task ?? []) as LabelledSet[]);
    return encoder.encode((task ?? []) as string[]);
  }

  /**
   * The condition part of a config for labelled MNIST examples of a binary task: a
   * `DatasetEncoder` (MLP features of the 784 pixels, two classes) to dModel; with
   * `frozenExtractor`, RPG's training leaves the feature extractor as pretrained.
   */
  static taskExamplesCondition(
    dModel: number,
    lastK: number,
    seed: number,
    frozenExtractor = false,
  ): NonNullable<PrototypeNetworkConfig['condition']> {
    const encoder = new DatasetEncoder({
      featureDim: 64,
      numClasses: 2,
      outputDim: dModel,
      featureExtractor: { kind: 'mlp', inputSize: 784, hidden: 128 },
      seed,
      frozenExtractor,
    });
    const config = encoder.config;
    encoder.dispose();
    return { encoder: config, lastK: lastK > 0 ? lastK : undefined };
  }

  /** Builds the condition part of a config: a BinaryCodeEncoder to dModel. */
  static taskCodeCondition(
    dModel: number,
    lastK: number,
    seed: number,
  ): NonNullable<PrototypeNetworkConfig['condition']> {
    const encoder = new BinaryCodeEncoder({ outputDim: dModel, seed });
    const config = encoder.config;
    encoder.dispose();
    return { encoder: config, lastK: lastK > 0 ? lastK : undefined };
  }
}
