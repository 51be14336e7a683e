import { BatchNorm2d, Conv2d, Linear, Module, normalInit, type Rng, Sequential } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { ClassifierModel } from './classifier-model';
import { standardize } from './standardize';

export interface ResNetOptions {
  /** Channels of the stem and of each stage (default [32, 64, 128]); stages 2+ halve the size. */
  widths?: number[];
  /** BasicBlocks per stage (default one each). */
  blocks?: number[];
  /** Outputs (default 10). */
  numClasses?: number;
  rng: Rng;
}

/** torchvision's conv init: kaiming_normal_(mode='fan_out', nonlinearity='relu'). */
function conv(
  inC: number,
  outC: number,
  kernel: number,
  stride: number,
  padding: number,
  rng: Rng,
): Conv2d {
  const layer = new Conv2d(inC, outC, kernel, { stride, padding, bias: false, rng });
  const init = normalInit(layer.weight.shape, Math.sqrt(2 / (outC * kernel * kernel)), rng);
  layer.weight.assign(init);
  init.dispose();
  return layer;
}

/**
 * torchvision's `BasicBlock`: conv3x3(stride) → bn1 → relu → conv3x3 → bn2, plus the identity
 * or `downsample` (1×1 conv with stride, then BN) when the shape changes; relu after the sum.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | undefined;

  constructor(inC: number, outC: number, stride: number, rng: Rng) {
    super();
    this.conv1 = this.addModule('conv1', conv(inC, outC, 3, stride, 1, rng));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outC));
    this.conv2 = this.addModule('conv2', conv(outC, outC, 3, 1, 1, rng));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outC));
    if (stride !== 1 || inC !== outC) {
      this.downsample = this.addModule(
        'downsample',
        new Sequential(conv(inC, outC, 1, stride, 0, rng), new BatchNorm2d(outC)),
      );
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bn2.forward(
        this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))),
      );
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return tf.relu(tf.add(y, identity));
    });
  }
}

/**
 * A small torchvision `ResNet(BasicBlock, blocks)` for 28×28 digits. Two documented departures
 * from the ImageNet stem, as CIFAR-style ResNets do: `conv1` is 3×3 stride 1 (1 input channel)
 * and there is no max-pool; widths default to 32-64-128 over three stages (`layer1…layer3`).
 * Everything else (names, layouts, block structure, init, global average pool, `fc`) is
 * torchvision's, so a torchvision-style model with those two changes loads the state dict.
 */
export class MnistResNet extends Module implements ClassifierModel {
  readonly arch = 'resnet' as const;
  readonly numClasses: number;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly fc: Linear;

  constructor(options: ResNetOptions) {
    super();
    const widths = options.widths ?? [32, 64, 128];
    const blocks = options.blocks ?? widths.map(() => 1);
    if (blocks.length !== widths.length) {
      throw new Error(`MnistResNet: ${widths.length} widths but ${blocks.length} block counts`);
    }
    const rng = options.rng;
    this.numClasses = options.numClasses ?? 10;
    this.conv1 = this.addModule('conv1', conv(1, widths[0]!, 3, 1, 1, rng));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(widths[0]!));
    let inC = widths[0]!;
    this.layers = widths.map((outC, stage) => {
      const stageBlocks: BasicBlock[] = [];
      for (let b = 0; b < blocks[stage]!; b++) {
        const stride = stage > 0 && b === 0 ? 2 : 1;
        stageBlocks.push(new BasicBlock(inC, outC, stride, rng));
        inC = outC;
      }
      return this.addModule(`layer${stage + 1}`, new Sequential(...stageBlocks));
    });
    this.fc = this.addModule('fc', new Linear(inC, this.numClasses, { rng }));
  }

  forward(images: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let x = tf.relu(this.bn1.forward(this.conv1.forward(standardize(images))));
      for (const layer of this.layers) x = layer.forward(x);
      return this.fc.forward(tf.mean(x, [1, 2]));
    });
  }
}
