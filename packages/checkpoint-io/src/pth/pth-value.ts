import { PthFormatError } from '../errors';
import type { StateDict, TensorData } from '../state-dict';
import { isTensorRecipe, materializeTensor } from './tensor-recipe';

/**
 * An unpickled checkpoint: Python dicts as `Map`s, lists and tuples as arrays, tensors as
 * `TensorData`, ints beyond 2^53 as `bigint`, `bytes` as `Uint8Array`.
 */
export type PthValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | TensorData
  | readonly PthValue[]
  | Map<unknown, PthValue>;

/**
 * Replaces every tensor recipe in an unpickled tree by its tensor. A recipe reached twice
 * (the same tensor object pickled twice) becomes one shared `TensorData`.
 */
export function materializeTree(value: unknown, file: string, tensors: WeakSet<object>): PthValue {
  const done = new Map<unknown, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
    const cached = done.get(v);
    if (cached !== undefined) return cached;
    if (isTensorRecipe(v)) {
      const t = materializeTensor(v, file);
      tensors.add(t);
      done.set(v, t);
      return t;
    }
    if (v instanceof Map) {
      const out = new Map<unknown, unknown>();
      done.set(v, out);
      for (const [k, x] of v) out.set(k, walk(x));
      return out;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      done.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    // Storages, globals and other leftovers are not data; they carry no tensor values.
    return null;
  };
  return walk(value) as PthValue;
}

/**
 * Flattens a checkpoint tree: tensors get their path joined with dots
 * (`state_dict.conv1.weight`), scalars and strings go to `metadata` under their path.
 */
export function flattenPthValue(
  root: PthValue,
  tensorSet: WeakSet<object>,
  file: string,
): { tensors: StateDict; metadata: Record<string, string> } {
  const tensors: StateDict = new Map();
  const metadata: Record<string, string> = {};
  const seen = new Set<unknown>();
  const visit = (v: PthValue, path: string): void => {
    if (v === null || v instanceof Uint8Array) return;
    if (typeof v === 'object') {
      if (tensorSet.has(v)) {
        const name = path === '' ? 'tensor' : path;
        if (tensors.has(name)) {
          throw new PthFormatError(
            file,
            'duplicate-name',
            `two tensors flatten to the name "${name}"`,
          );
        }
        tensors.set(name, v as TensorData);
        return;
      }
      if (seen.has(v)) return;
      seen.add(v);
      const join = (key: unknown) => (path === '' ? String(key) : `${path}.${String(key)}`);
      if (v instanceof Map) for (const [k, x] of v) visit(x, join(k));
      else if (Array.isArray(v)) for (const [i, x] of v.entries()) visit(x, join(i));
      return;
    }
    if (path !== '') {
      Object.defineProperty(metadata, path, {
        value: String(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  };
  visit(root, '');
  return { tensors, metadata };
}
