import type { Module } from '@pgen/nn';
import type * as tf from '@tensorflow/tfjs-core';

/** The architectures a zoo can hold. */
export type ArchName = 'mlp' | 'resnet' | 'vit';

/** Every architecture name, in a stable order (CLI choices, benchmarks). */
export const ARCH_NAMES: readonly ArchName[] = ['mlp', 'resnet', 'vit'];

/**
 * An image classifier whose `stateDict()` has the names and layouts of its PyTorch counterpart
 * (a plain MLP, a torchvision ResNet, a timm ViT), so zoo and generated weights load there.
 */
export interface ClassifierModel extends Module {
  /** Which architecture this is. */
  readonly arch: ArchName;
  /** Outputs of the head: 10 for digits, 2 for a binary task. */
  readonly numClasses: number;
  /** Logits [n, numClasses] for images [n, 28, 28, 1] (NHWC, values in [0, 1]). */
  forward(images: tf.Tensor): tf.Tensor;
}
