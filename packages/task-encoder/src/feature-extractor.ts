import { Conv2d, Linear, Module, type Rng, Sequential, SiLU } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TaskEncoderError } from './errors';
import { positiveInt } from './options';

/**
 * How `DatasetEncoder` turns one raw example into its `featureDim` features (a plain object, so
 * it is saved in the encoder's config):
 * - `identity`: examples already are `featureDim` numbers (precomputed features).
 * - `mlp`: flattened inputs of `inputSize` values → Linear → SiLU → Linear (`extractor.0`,
 *   `extractor.2`).
 * - `conv`: images of height × width × channels (row-major, channels last; MNIST's 28 × 28
 *   digits by default) → two stride-2 3 × 3 convolutions with SiLU → global mean → Linear.
 */
export type FeatureExtractorConfig =
  | { kind: 'identity' }
  | { kind: 'mlp'; inputSize: number; hidden?: number }
  | { kind: 'conv'; height?: number; width?: number; channels?: number; filters?: number };

/** A built extractor: [N, inputSize] flattened examples → [N, featureDim]. */
export interface FeatureExtractor extends Module {
  /** Values per raw example. */
  readonly inputSize: number;
  forward(x: tf.Tensor): tf.Tensor;
}

class IdentityExtractor extends Module implements FeatureExtractor {
  constructor(readonly inputSize: number) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
}

/** A Sequential, so its weights read `extractor.0.weight`, `extractor.2.weight`. */
class MlpExtractor extends Sequential implements FeatureExtractor {
  constructor(
    readonly inputSize: number,
    hidden: number,
    featureDim: number,
    rng: Rng,
  ) {
    super(
      new Linear(inputSize, hidden, { rng }),
      new SiLU(),
      new Linear(hidden, featureDim, { rng }),
    );
  }
}

/** A small CNN: enough to tell digits apart, cheap enough to run on every example of a set. */
class ConvExtractor extends Module implements FeatureExtractor {
  readonly inputSize: number;
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc: Linear;
  private readonly act = new SiLU();

  constructor(
    private readonly height: number,
    private readonly width: number,
    private readonly channels: number,
    filters: number,
    featureDim: number,
    rng: Rng,
  ) {
    super();
    this.inputSize = height * width * channels;
    const half = Math.max(1, Math.floor(filters / 2));
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d(channels, half, 3, { stride: 2, padding: 1, rng }),
    );
    this.conv2 = this.addModule(
      'conv2',
      new Conv2d(half, filters, 3, { stride: 2, padding: 1, rng }),
    );
    this.fc = this.addModule('fc', new Linear(filters, featureDim, { rng }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const images = tf.reshape(x, [-1, this.height, this.width, this.channels]);
      const h = this.act.forward(this.conv2.forward(this.act.forward(this.conv1.forward(images))));
      return this.fc.forward(tf.mean(h, [1, 2]));
    });
  }
}

/** Builds the extractor `config` describes, checking its options. */
export function buildFeatureExtractor(
  config: FeatureExtractorConfig,
  featureDim: number,
  rng: Rng,
  owner = 'DatasetEncoder',
): FeatureExtractor {
  switch (config?.kind) {
    case 'identity':
      return new IdentityExtractor(featureDim);
    case 'mlp':
      return new MlpExtractor(
        positiveInt(owner, 'featureExtractor.inputSize', config.inputSize),
        positiveInt(owner, 'featureExtractor.hidden', config.hidden ?? 128),
        featureDim,
        rng,
      );
    case 'conv':
      return new ConvExtractor(
        positiveInt(owner, 'featureExtractor.height', config.height ?? 28),
        positiveInt(owner, 'featureExtractor.width', config.width ?? 28),
        positiveInt(owner, 'featureExtractor.channels', config.channels ?? 1),
        positiveInt(owner, 'featureExtractor.filters', config.filters ?? 16),
        featureDim,
        rng,
      );
    default:
      throw new TaskEncoderError(
        `${owner}: featureExtractor.kind must be 'identity', 'mlp' or 'conv', got ${String((config as { kind?: unknown })?.kind)}`,
      );
  }
}
