import { TaskEncoderError } from './errors';

export interface HashedNgramEmbeddingOptions {
  /** Width of the vectors (default 256). */
  dim?: number;
  /** Character n-gram length (default 3). */
  n?: number;
  /** Compare texts case-insensitively (default true). */
  lowercase?: boolean;
}

/** A text-embedding function: one vector per text, synchronously or not. */
export type TextEmbeddingFunction = (texts: string[]) => Float32Array[] | Promise<Float32Array[]>;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over UTF-8 bytes, so a text hashes the same on every platform. */
export function fnv1a(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME);
  return h >>> 0;
}

/**
 * A deterministic text embedding without a model: each character n-gram of the text (padded
 * with start and end marks, whitespace runs collapsed) is hashed with FNV-1a into one of `dim`
 * buckets with a hashed sign (which keeps collisions from adding up), and the counts are
 * L2-normalised. Texts sharing many n-grams get a high cosine, so "rotate by 30 degrees" is
 * closer to "rotate by 35 degrees" than to "odd against even". It is what the tests use, and a
 * baseline where no real text model is at hand.
 */
export function hashedNgramEmbedding(
  options: HashedNgramEmbeddingOptions = {},
): (texts: string[]) => Float32Array[] {
  const dim = options.dim ?? 256;
  const n = options.n ?? 3;
  const lowercase = options.lowercase ?? true;
  for (const [name, value] of [
    ['dim', dim],
    ['n', n],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TaskEncoderError(`hashedNgramEmbedding: ${name} must be a positive integer`);
    }
  }
  const utf8 = new TextEncoder();
  return (texts) =>
    texts.map((text, i) => {
      if (typeof text !== 'string') {
        throw new TaskEncoderError(`hashedNgramEmbedding: text ${i} is not a string`);
      }
      const clean = (lowercase ? text.toLowerCase() : text).trim().replace(/\s+/g, ' ');
      // Code points, not UTF-16 units, so an n-gram never splits a character.
      const chars = ['\u0002', ...clean, '\u0003'];
      const vector = new Float32Array(dim);
      const count = Math.max(1, chars.length - n + 1);
      for (let start = 0; start < count; start++) {
        const h = fnv1a(utf8.encode(chars.slice(start, start + n).join('')));
        // Bucket from the hash modulo dim, sign from its top bit: the two are nearly independent.
        vector[h % dim]! += h & 0x80000000 ? -1 : 1;
      }
      let norm = 0;
      for (const v of vector) norm += v * v;
      norm = Math.sqrt(norm);
      // A text always has at least one n-gram, but its counts can cancel in a shared bucket.
      if (norm > 0) for (let k = 0; k < dim; k++) vector[k]! /= norm;
      return vector;
    });
}
