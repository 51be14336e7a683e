import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import type { NoiseSource } from '../random/noise-source';

/**
 * Test-only re-creation of `torch.manual_seed(seed)` + `torch.randn(shape)` for float32 CPU
 * tensors of ≥ 16 elements, so that diffusers' golden values (whose DDPM loops draw noise from
 * torch's generator) can be checked exactly. PyTorch draws every element as the low 24 bits of
 * an MT19937 output / 2^24, then turns each block of 16 into normals by Box–Muller, pairing
 * element j with element j + 8 (u1 = 1 − data[j], u2 = data[j + 8]); a last partial block
 * is redrawn as the final 16 elements.
 */
export class TorchCpuRandn implements NoiseSource {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] as number;
      this.mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  randn(shape: readonly number[]): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size < 16) throw new Error('TorchCpuRandn only mirrors tensors of at least 16 elements');
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = this.uniform();
    for (let i = 0; i + 16 <= size; i += 16) boxMuller16(data, i);
    if (size % 16 !== 0) {
      for (let i = size - 16; i < size; i++) data[i] = this.uniform();
      boxMuller16(data, size - 16);
    }
    return tensor(data, [...shape], 'float32');
  }

  private uniform(): number {
    return (this.next() & 0xffffff) / 16777216;
  }

  private next(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = ((mt[i] as number) & 0x80000000) | ((mt[(i + 1) % 624] as number) & 0x7fffffff);
      let v = (mt[(i + 397) % 624] as number) ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }
}

function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - (data[offset + j] as number);
    const u2 = data[offset + j + 8] as number;
    const radius = Math.fround(Math.sqrt(-2 * Math.log(u1)));
    const theta = Math.fround(2 * Math.PI * u2);
    data[offset + j] = radius * Math.cos(theta);
    data[offset + j + 8] = radius * Math.sin(theta);
  }
}
