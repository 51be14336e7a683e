import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The PyTorch-written fixtures, in `shared/` beside the repository root. */
export const FIXTURES = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../../../shared/fixtures/torch',
);

/** One tensor as expected.json describes it. */
export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  sum: number;
  first: number[];
}

export function expectedFor(file: string): Record<string, ExpectedTensor> {
  const all = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
    string,
    Record<string, ExpectedTensor>
  >;
  return all[file]!;
}

/** PyTorch dtype names (as expected.json spells them) → safetensors dtype names. */
export const TORCH_DTYPE: Record<string, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pgen-ckpt-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A small deterministic PRNG (mulberry32) so fuzz and property tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
