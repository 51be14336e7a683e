import { readFile } from 'node:fs/promises';
import { swapByteOrder } from '../bytes';
import { dtypeSize } from '../dtype';
import { PthFormatError } from '../errors';
import { type UnpicklePolicy, unpickle } from '../pickle/unpickler';
import { alignedCopy, type StorageRef } from './storage';
import { storageDTypeOf, torchUnpicklePolicy } from './torch-globals';

/** `torch.serialization.MAGIC_NUMBER`, the first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** A legacy file starts with PROTO 2 then LONG1 of 10 bytes (the magic number). */
export function looksLikeLegacyPth(prefix: Uint8Array): boolean {
  return prefix[0] === 0x80 && prefix[1] === 0x02 && prefix[2] === 0x8a && prefix[3] === 0x0a;
}

const plainData: UnpicklePolicy = { resolveGlobal: () => undefined };

/**
 * Reads the legacy (pre-1.6, non-zip) `torch.save` format: five pickles in a row (magic
 * number, protocol version, system info, the object, the list of storage keys), then each
 * storage as an int64 element count followed by its raw bytes.
 */
export async function readLegacyPickle(path: string): Promise<unknown> {
  const bytes = await readFile(path);
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const bad = (why: string) => new PthFormatError(path, 'invalid-legacy-pth', why);

  const magic = unpickle(data, 0, plainData, path);
  if (magic.value !== LEGACY_MAGIC) throw bad('not a legacy torch.save file (bad magic number)');
  const protocol = unpickle(data, magic.end, plainData, path);
  if (protocol.value !== LEGACY_PROTOCOL)
    throw bad(`unsupported legacy protocol ${String(protocol.value)}`);
  const sysInfo = unpickle(data, protocol.end, plainData, path);
  const littleEndian =
    !(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== false;

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid)) throw bad('malformed persistent id');
    if (pid[0] === 'module') {
      throw new PthFormatError(
        path,
        'pickled-module',
        'file pickles a whole nn.Module, not tensors; re-save it with torch.save(model.state_dict(), path)',
      );
    }
    const [tag, type, key, , numel, view] = pid as unknown[];
    if (
      tag !== 'storage' ||
      typeof key !== 'string' ||
      !Number.isSafeInteger(numel) ||
      (numel as number) < 0
    ) {
      throw bad('malformed storage reference');
    }
    const dtype = storageDTypeOf(type, path);
    let ref = storages.get(key);
    if (!ref) {
      ref = { kind: 'storage', key, dtype, numel: numel as number };
      storages.set(key, ref);
    }
    if (Array.isArray(view) && view.length === 3) {
      const [viewKey, offset, size] = view as unknown[];
      if (
        typeof viewKey !== 'string' ||
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(size)
      ) {
        throw bad('malformed storage view');
      }
      const existing = storages.get(viewKey);
      if (existing) return existing;
      const viewRef: StorageRef = {
        kind: 'storage',
        key: viewKey,
        dtype,
        numel: size as number,
        viewOf: { root: ref, offset: offset as number },
      };
      storages.set(viewKey, viewRef);
      return viewRef;
    }
    return ref;
  };
  const main = unpickle(data, sysInfo.end, torchUnpicklePolicy(path, persistentLoad), path);
  const keys = unpickle(data, main.end, plainData, path);
  if (!Array.isArray(keys.value)) throw bad('storage key list is missing');

  let pos = keys.end;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const key of keys.value) {
    const ref = storages.get(String(key));
    if (!ref || ref.viewOf) throw bad(`storage "${String(key)}" is listed but never referenced`);
    if (pos + 8 > data.length) throw bad(`storage "${ref.key}" is truncated`);
    const count = view.getBigInt64(pos, true);
    if (count !== BigInt(ref.numel)) {
      throw bad(`storage "${ref.key}" holds ${count} elements, ${ref.numel} expected`);
    }
    pos += 8;
    const length = ref.numel * dtypeSize(ref.dtype);
    if (pos + length > data.length) throw bad(`storage "${ref.key}" is truncated`);
    ref.bytes = alignedCopy(data.subarray(pos, pos + length));
    if (!littleEndian) swapByteOrder(ref.bytes, dtypeSize(ref.dtype));
    pos += length;
  }
  return main.value;
}
