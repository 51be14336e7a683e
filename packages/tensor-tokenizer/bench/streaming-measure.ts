/**
 * The measuring half of `pnpm bench:tokenizer`, bundled and run by `tokenizer.bench.ts` in a
 * fresh plain-node process (no TypeScript loader in memory) so that its peak RSS is the
 * model plus the tokenizer's working set. Measures the granularity named by its first argument
 * and prints one JSON object on stdout.
 */
import type { TensorData } from '@pgen/checkpoint-io';
import type { Granularity } from '../src/options';
import { TensorTokenizer } from '../src/tensor-tokenizer';
import { TokenizerFitter } from '../src/tokenizer-fitter';
import { emptyVitBase, fillVitBase } from './vit-b-state-dict';

const TOKEN_SIZE = 8192;
/**
 * Every ViT-B row is a multiple of 768 values, so per-channel tokens of 768 carry no padding;
 * the default (the longest row, 3072) would pad the 768-wide rows fourfold.
 */
const CHANNEL_TOKEN_SIZE = 768;

interface GranularityResult {
  granularity: Granularity;
  tokenSize: number;
  tokenCount: number;
  encodeMParamsPerSecond: number;
  decodeMParamsPerSecond: number;
  maxRelativeError: number;
}

/** Largest |a - b| over the largest |b|, reading F32 data in place (no copies). */
function relativeError(a: TensorData, b: TensorData): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return worst === 0 ? 0 : worst / scale;
}

function collectGarbage(): void {
  // The child runs with --expose-gc: dropping a 350 MB checkpoint should not wait for V8's mood.
  (globalThis as { gc?: () => void }).gc?.();
}

function measureGranularity(
  granularity: Granularity,
  model: Map<string, TensorData>,
  fitter: TokenizerFitter,
): GranularityResult {
  const tokenizer = new TensorTokenizer({
    ...fitter.finish(),
    granularity,
    ...(granularity === 'channel' ? { tokenSize: CHANNEL_TOKEN_SIZE } : { tokenSize: TOKEN_SIZE }),
  });
  let params = 0;
  for (const entry of tokenizer.layout.entries) params += entry.numel;

  let checksum = 0;
  let started = performance.now();
  for (const block of tokenizer.encodeStream(model)) checksum += block.tokens[0]!;
  const encodeSeconds = (performance.now() - started) / 1000;

  // Decode what encodeStream yields, timing only the decoder; each decoded tensor is compared
  // with the original and dropped, as a consumer writing tensors out would.
  const decoder = tokenizer.createDecoder();
  let decodeMs = 0;
  let maxRelativeError = 0;
  const check = (emitted: Array<[string, TensorData]>) => {
    for (const [name, tensor] of emitted) {
      if (tokenizer.generatedTensors.includes(name)) {
        maxRelativeError = Math.max(maxRelativeError, relativeError(tensor, model.get(name)!));
      }
    }
  };
  for (const block of tokenizer.encodeStream(model)) {
    started = performance.now();
    const emitted = decoder.push(block.tokens);
    decodeMs += performance.now() - started;
    check(emitted);
  }
  check(decoder.finish());
  if (!Number.isFinite(checksum)) throw new Error('encoded tokens are not finite');
  collectGarbage();
  return {
    granularity,
    tokenSize: tokenizer.tokenSize,
    tokenCount: tokenizer.tokenCount,
    encodeMParamsPerSecond: params / 1e6 / encodeSeconds,
    decodeMParamsPerSecond: params / 1e6 / (decodeMs / 1000),
    maxRelativeError,
  };
}

export function measure(granularity: Granularity): void {
  // Fit on a zoo of two checkpoints, generated one at a time into the same buffers.
  const model = emptyVitBase();
  const fitter = new TokenizerFitter({ tokenSize: TOKEN_SIZE });
  let fitMs = 0;
  for (const seed of [1, 2]) {
    fillVitBase(model, seed);
    const started = performance.now();
    fitter.add(model);
    fitMs += performance.now() - started;
  }
  fillVitBase(model, 3);
  let params = 0;
  let bytes = 0;
  for (const t of model.values()) {
    params += t.data.length;
    bytes += t.data.byteLength;
  }
  const result = measureGranularity(granularity, model, fitter);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    JSON.stringify({
      params,
      modelBytes: bytes,
      fitMParamsPerSecond: (2 * params) / 1e6 / (fitMs / 1000),
      ...result,
      peakRssBytes,
      peakRssOverModelSize: peakRssBytes / bytes,
    }),
  );
}

measure((process.argv[2] ?? 'layer') as Granularity);
