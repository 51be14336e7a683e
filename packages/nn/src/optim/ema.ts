import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module';

/**
 * An exponential moving average of a module's parameters (shadow ← d·shadow + (1−d)·param);
 * buffers (running statistics) are copied as they are. Sampling from the average is what
 * diffusion training usually evaluates.
 */
export class ExponentialMovingAverage {
  private readonly shadow: [tf.Variable, tf.Variable][];

  constructor(
    readonly module: Module,
    readonly decay = 0.999,
  ) {
    if (!(decay > 0 && decay < 1)) throw new Error(`EMA decay must be in (0, 1), got ${decay}`);
    this.shadow = [...module.namedParameters(), ...module.namedBuffers()].map(([, v]) => {
      const copy = v.clone();
      const average = tf.variable(copy, false);
      copy.dispose();
      return [v, average];
    });
  }

  /** Folds the module's current parameters into the average. */
  update(): void {
    const parameters = new Set(this.module.parameters());
    tf.tidy(() => {
      for (const [source, average] of this.shadow) {
        if (parameters.has(source)) {
          average.assign(tf.add(tf.mul(average, this.decay), tf.mul(source, 1 - this.decay)));
        } else {
          average.assign(source);
        }
      }
    });
  }

  /** Copies the average into `target`, a module of the same structure (default: the tracked one). */
  copyTo(target: Module = this.module): void {
    const entries = [...target.namedParameters(), ...target.namedBuffers()];
    if (entries.length !== this.shadow.length) {
      throw new Error('EMA.copyTo: the target module has a different structure');
    }
    entries.forEach(([name, v], i) => {
      const average = this.shadow[i]![1];
      if (v.shape.join() !== average.shape.join()) {
        throw new Error(
          `EMA.copyTo: ${name} has shape [${v.shape}], the average [${average.shape}]`,
        );
      }
      v.assign(average);
    });
  }

  dispose(): void {
    tf.dispose(this.shadow.map(([, a]) => a));
  }
}
