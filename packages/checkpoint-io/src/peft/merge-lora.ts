import { isFloatingDType } from '../dtype';
import { PeftAdapterError } from '../errors';
import { fromFloat32, toFloat32 } from '../half';
import type { StateDict, TensorData } from '../state-dict';
import { loraScaling } from './lora-config';
import { loraModules, type PeftAdapter } from './peft-adapter';

/** Options of `mergeLoraAdapter`. */
export interface MergeLoraOptions {
  /** Extra multiplier on every module's scaling (default 1; -1 unmerges). */
  weight?: number;
  /** Fail when an adapted module has no weight in `base` (default true). */
  strict?: boolean;
}

/** Base-weight names PEFT may use for a module: plain, or wrapped in a LoRA layer. */
function baseWeightKey(base: StateDict, module: string): string | undefined {
  for (const key of [`${module}.weight`, `${module}.base_layer.weight`])
    if (base.has(key)) return key;
  return undefined;
}

/**
 * Merges a LoRA adapter into base weights: W' = W + scaling · B·A, with B·A transposed for
 * `fan_in_fan_out` layers (stored [in, out]) and for embeddings. Computed in float64 and
 * rounded once to the base dtype. Returns a new StateDict; `base` is not modified and
 * untouched tensors are shared, not copied.
 */
export function mergeLoraAdapter(
  base: StateDict,
  adapter: PeftAdapter,
  options: MergeLoraOptions = {},
): StateDict {
  const { weight = 1, strict = true } = options;
  const merged: StateDict = new Map(base);
  for (const { module, a, b, embedding } of loraModules(adapter)) {
    const key = baseWeightKey(base, module);
    if (!key) {
      if (strict)
        throw new PeftAdapterError(
          '<base>',
          'missing-base-weight',
          `base weights have no "${module}.weight" for the adapted module`,
        );
      continue;
    }
    const w = base.get(key)!;
    if (!isFloatingDType(w.dtype)) {
      throw new PeftAdapterError(
        '<base>',
        'invalid-base-weight',
        `"${key}" is ${w.dtype}, not a floating-point weight`,
      );
    }
    const [rank, inDim] = a.shape as [number, number];
    const outDim = b.shape[0]!;
    const transpose = embedding || adapter.config.fanInFanOut;
    const expected = transpose ? [inDim, outDim] : [outDim, inDim];
    if (w.shape.length !== 2 || w.shape[0] !== expected[0] || w.shape[1] !== expected[1]) {
      throw new PeftAdapterError(
        '<base>',
        'shape-mismatch',
        `"${key}" is [${w.shape.join(', ')}] but the adapter's B·A${transpose ? 'ᵀ' : ''} is [${expected.join(', ')}]`,
      );
    }
    const scale = loraScaling(adapter.config, module).scaling * weight;
    const av = toFloat32(a);
    const bv = toFloat32(b);
    const wv = w.dtype === 'F64' ? (w.data as Float64Array) : toFloat32(w);
    const out = new Float64Array(wv.length);
    const cols = expected[1]!;
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) {
        let sum = 0;
        for (let k = 0; k < rank; k++) sum += bv[o * rank + k]! * av[k * inDim + i]!;
        const index = transpose ? i * cols + o : o * cols + i;
        out[index] = wv[index]! + scale * sum;
      }
    }
    const tensor: TensorData =
      w.dtype === 'F64'
        ? { dtype: 'F64', shape: [...w.shape], data: out }
        : fromFloat32(Float32Array.from(out), w.shape, w.dtype);
    merged.set(key, tensor);
  }
  return merged;
}
