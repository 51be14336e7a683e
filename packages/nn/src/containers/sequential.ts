import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';

/** A module with a single-tensor forward, which Sequential can chain. */
export interface UnaryModule extends Module {
  forward(x: tf.Tensor): tf.Tensor;
}

/** `torch.nn.Sequential`: children named '0', '1', …; forward chains them. */
export class Sequential extends Module {
  readonly layers: UnaryModule[];

  constructor(...layers: UnaryModule[]) {
    super();
    this.layers = layers.map((layer, i) => this.addModule(String(i), layer));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const layer of this.layers) {
      const next = layer.forward(y);
      if (y !== x) y.dispose();
      y = next;
    }
    return y;
  }
}

/** `torch.nn.ModuleList`: children named '0', '1', … with no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];

  constructor(modules: M[]) {
    super();
    this.items = modules.map((m, i) => this.addModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }
}
