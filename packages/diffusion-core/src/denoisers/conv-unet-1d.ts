import {
  BatchNorm1d,
  Conv1d,
  ELU,
  Identity,
  Module,
  ModuleList,
  type Rng,
  Sequential,
  type UnaryModule,
} from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/** One stage: `0` the conv, `1` its activation (BatchNorm1d + ELU, or nothing on the output). */
export class ConvStage extends ModuleList<Module> {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    last: boolean,
    rng?: Rng,
  ) {
    const conv = new Conv1d(inChannels, outChannels, kernelSize, {
      padding: Math.floor(kernelSize / 2),
      rng,
    });
    const act: UnaryModule = last
      ? new Identity()
      : new Sequential(new BatchNorm1d(outChannels), new ELU());
    super([conv, act]);
  }

  /** conv → activation on NWC input. */
  run(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [conv, act] = this.items as [Conv1d, UnaryModule];
      return act.forward(conv.forward(x));
    });
  }
}

/**
 * The U-shaped stack of 1-D convolutions RPG and p-diff both use: `channels` (first and last 1)
 * splits into ⌊n/2⌋+1 encoder stages and the rest decoder stages; encoder outputs but the last
 * two are added back before the matching decoder stages. `inject` mixes the time/condition
 * embedding into each stage's input — that is where the two methods differ.
 */
export class ConvUnet1d extends Module {
  readonly encoders: ModuleList<ConvStage>;
  readonly decoders: ModuleList<ConvStage>;

  constructor(
    readonly channels: readonly number[],
    kernelSize: number,
    rng?: Rng,
  ) {
    super();
    if (channels.length < 3 || channels[0] !== 1 || channels[channels.length - 1] !== 1) {
      throw new Error(
        `channels must start and end with 1 and have at least 3 entries, got [${channels}]`,
      );
    }
    const encoderCount = Math.floor(channels.length / 2) + 1;
    const stage = (i: number) =>
      new ConvStage(
        channels[i]!,
        channels[i + 1]!,
        kernelSize,
        channels[i + 1] === 1 && i === channels.length - 2,
        rng,
      );
    this.encoders = this.addModule(
      'encoder_list',
      new ModuleList(Array.from({ length: encoderCount }, (_, i) => stage(i))),
    );
    this.decoders = this.addModule(
      'decoder_list',
      new ModuleList(
        Array.from({ length: channels.length - 1 - encoderCount }, (_, i) =>
          stage(encoderCount + i),
        ),
      ),
    );
    const skips = Math.max(encoderCount - 2, 0);
    this.decoders.items.forEach((_, i) => {
      const skipFrom = skips - 1 - i;
      if (skipFrom < 0 || channels[skipFrom + 1] !== channels[encoderCount + i]) {
        throw new Error(
          `channels [${channels}] leave decoder stage ${i} without a skip of matching width`,
        );
      }
    });
  }

  /** x [batch, length, 1] → [batch, length, 1]; `inject(h)` is applied to every stage's input. */
  run(x: tf.Tensor, inject: (h: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const skips: tf.Tensor[] = [];
      let h = x;
      const encoders = this.encoders.items;
      encoders.forEach((stage, i) => {
        h = stage.run(inject(h));
        if (i < encoders.length - 2) skips.push(h);
      });
      this.decoders.items.forEach((stage, i) => {
        h = stage.run(inject(tf.add(h, skips[skips.length - 1 - i]!)));
      });
      return h;
    });
  }
}
