import { swapByteOrder } from '../bytes';
import { dtypeSize } from '../dtype';
import { PthFormatError } from '../errors';
import { unpickle } from '../pickle/unpickler';
import { ZipArchive } from '../zip/zip-reader';
import { alignedCopy, type StorageRef } from './storage';
import { storageDTypeOf, torchUnpicklePolicy } from './torch-globals';

/**
 * Reads a `torch.save` zip archive (the default since PyTorch 1.6): `<prefix>/data.pkl` is
 * unpickled with the restricted unpickler, and each storage it references is read from
 * `<prefix>/data/<key>` by offset. Returns the raw unpickled tree (with tensor recipes).
 */
export async function readZipPickle(path: string): Promise<unknown> {
  const zip = await ZipArchive.open(path);
  try {
    const pkl = [...zip.entries.keys()].find((n) => /^[^/]*\/?data\.pkl$/.test(n));
    if (pkl === undefined) {
      throw new PthFormatError(
        path,
        'missing-data-pkl',
        'zip archive has no data.pkl, so it is not a torch.save checkpoint',
      );
    }
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const byteorderEntry = zip.entries.get(`${prefix}byteorder`);
    const bigEndian = byteorderEntry
      ? new TextDecoder().decode(await zip.read(byteorderEntry.name)).trim() === 'big'
      : false;

    const storages = new Map<string, StorageRef>();
    const persistentLoad = (pid: unknown): StorageRef => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
        throw new PthFormatError(
          path,
          'unsupported-persistent-id',
          `unsupported persistent id ${String(Array.isArray(pid) ? pid[0] : pid)}`,
        );
      }
      const [, type, key, , numel] = pid as unknown[];
      if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
        throw new PthFormatError(path, 'invalid-storage', 'malformed storage reference');
      }
      const dtype = storageDTypeOf(type, path);
      const existing = storages.get(key);
      if (existing) {
        if (existing.dtype !== dtype) {
          throw new PthFormatError(
            path,
            'invalid-storage',
            `storage "${key}" is referenced with two dtypes`,
          );
        }
        return existing;
      }
      const ref: StorageRef = { kind: 'storage', key, dtype, numel: numel as number };
      storages.set(key, ref);
      return ref;
    };
    const pickle = await zip.read(pkl);
    const { value } = unpickle(pickle, 0, torchUnpicklePolicy(path, persistentLoad), path);

    for (const ref of storages.values()) {
      const name = `${prefix}data/${ref.key}`;
      if (!zip.entries.has(name)) {
        throw new PthFormatError(
          path,
          'missing-storage',
          `storage "${ref.key}" is missing from the archive`,
        );
      }
      const bytes = await zip.read(name);
      const needed = ref.numel * dtypeSize(ref.dtype);
      if (bytes.length < needed) {
        throw new PthFormatError(
          path,
          'storage-too-small',
          `storage "${ref.key}" has ${bytes.length} bytes, ${needed} needed`,
        );
      }
      ref.bytes =
        bytes.byteOffset === 0 && bytes.length === needed
          ? bytes
          : alignedCopy(bytes.subarray(0, needed));
      if (bigEndian) swapByteOrder(ref.bytes, dtypeSize(ref.dtype));
    }
    return value;
  } finally {
    await zip.close();
  }
}
