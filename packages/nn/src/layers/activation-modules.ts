import * as tf from '@tensorflow/tfjs-core';
import { gelu, silu } from '../functional';
import { Module } from '../module';

/**
 * Activations as parameter-free modules (`torch.nn.ReLU`, …), so that a Sequential keeps
 * PyTorch's child indices: in `Sequential(Linear, SiLU, Linear)` the second Linear is `2`.
 */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

export class ELU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.elu(x);
  }
}

export class SiLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return silu(x);
  }
}

export class GELU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, this.negativeSlope);
  }
}

export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
}
