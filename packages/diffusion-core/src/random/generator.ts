import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import type { NoiseSource } from './noise-source';

/**
 * A seeded source of random numbers whose output depends only on the seed (and stream), never
 * on the tfjs backend: the numbers are made in JavaScript (xoshiro128** for uniform bits,
 * Box–Muller for normals) and uploaded, so the same seed gives the same noise on cpu, wasm and
 * WebGPU.
 *
 * Normals come as one stream: `randn([3])` followed by `randn([3])` gives the same six numbers
 * as one `randn([6])`.
 */
export class Generator implements NoiseSource {
  /** The seed this generator was made from. */
  readonly seed: number;
  /** The stream number (see {@link Generator.fork}); 0 for a generator made by seed alone. */
  readonly stream: number;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  // Box–Muller makes normals in pairs; the second waits here for the next call.
  private spare: number | undefined;

  constructor(seed: number, stream = 0) {
    checkSeed(seed, 'seed');
    checkSeed(stream, 'stream');
    this.seed = seed;
    this.stream = stream;
    // Expand (seed, stream) into 128 bits of state with a splitmix-style hash, so nearby seeds
    // and streams give unrelated states and the state is never all zero.
    let h = mix32(seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32) + 0x9e3779b9);
    h = mix32(h ^ mix32(stream >>> 0) ^ mix32(Math.floor(stream / 2 ** 32) + 0x7f4a7c15));
    const next = () => {
      h = (h + 0x9e3779b9) | 0;
      return mix32(h);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * An independent generator for stream `stream` of this seed. It depends only on
   * (seed, stream), not on how much this generator has drawn, which is what lets the samplers
   * give every row its own noise whatever the chunk size.
   */
  fork(stream: number): Generator {
    return new Generator(this.seed, stream);
  }

  /** The next 32 uniformly random bits, as an unsigned integer. */
  nextUint32(): number {
    // xoshiro128** (Blackman & Vigna).
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** One standard-normal number. */
  nextNormal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    // 1 − u is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
    const theta = 2 * Math.PI * this.nextFloat();
    this.spare = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }

  /** `n` standard-normal numbers. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextNormal();
    return out;
  }

  /** A float32 tensor of the given shape filled with N(0, 1) values. */
  randn(shape: readonly number[]): Tensor {
    const size = shapeSize(shape);
    return tensor(this.normals(size), [...shape], 'float32');
  }

  /** An integer uniform in [low, high), without modulo bias. */
  nextInt(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 2 ** 32) {
      throw new DiffusionInputError(`nextInt needs integers low < high, got [${low}, ${high})`);
    }
    const range = high - low;
    // Reject the top sliver of 2^32 that would make some values more likely than others.
    const limit = 2 ** 32 - (2 ** 32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % range);
  }

  /** `n` integers uniform in [low, high). */
  randint(n: number, low: number, high: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextInt(low, high);
    return out;
  }
}

/** A {@link Generator} for `seed` (a non-negative safe integer) and optional stream. */
export function createGenerator(seed: number, stream = 0): Generator {
  return new Generator(seed, stream);
}

/** The number of elements of a shape, after checking it is made of non-negative integers. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new DiffusionInputError(`invalid shape [${shape.join(', ')}]`);
    }
    size *= dim;
  }
  return size;
}

function checkSeed(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DiffusionInputError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// The 32-bit finaliser of MurmurHash3: a bijection that spreads every input bit.
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
