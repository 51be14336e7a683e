import { open } from 'node:fs/promises';
import { PthFormatError } from '../errors';
import type { StateDict } from '../state-dict';
import { looksLikeLegacyPth, readLegacyPickle } from './legacy-pth-reader';
import { flattenPthValue, materializeTree, type PthValue } from './pth-value';
import { readZipPickle } from './zip-pth-reader';

/** A PyTorch checkpoint, both as saved and flattened. */
export interface PthContents {
  /** `pth` for the zip format, `pth-legacy` for the pre-1.6 format. */
  format: 'pth' | 'pth-legacy';
  /** The saved object: a dict of tensors, or nested containers with numbers and strings. */
  root: PthValue;
  /** Every tensor, named by its path joined with dots (`state_dict.conv1.weight`). */
  tensors: StateDict;
  /** Every number and string beside the tensors, by path (`epoch` → `"3"`). */
  metadata: Record<string, string>;
}

/** Reads the first bytes of a file (fewer when it is shorter). */
export async function readPrefix(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const out = new Uint8Array(length);
    const { bytesRead } = await handle.read(out, 0, length, 0);
    return out.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function looksLikeZip(prefix: Uint8Array): boolean {
  return prefix[0] === 0x50 && prefix[1] === 0x4b && prefix[2] === 0x03 && prefix[3] === 0x04;
}

function looksLikeTar(prefix: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(prefix.subarray(257, 262)) === 'ustar';
}

/**
 * Reads a `.pth`/`.pt` file written by `torch.save`, zip or legacy format, without running
 * any code: the pickle is interpreted by a restricted unpickler that refuses every global
 * outside PyTorch's `weights_only` allowlist (see `PickleSecurityError`).
 */
export async function readPth(path: string): Promise<PthContents> {
  const prefix = await readPrefix(path, 512);
  let raw: unknown;
  let format: PthContents['format'];
  if (looksLikeZip(prefix)) {
    raw = await readZipPickle(path);
    format = 'pth';
  } else if (looksLikeLegacyPth(prefix)) {
    raw = await readLegacyPickle(path);
    format = 'pth-legacy';
  } else if (looksLikeTar(prefix)) {
    throw new PthFormatError(
      path,
      'unsupported-format',
      'this is the tar-based torch.save format of PyTorch < 0.4; convert it with a trusted PyTorch: torch.save(torch.load(path), new_path)',
    );
  } else {
    throw new PthFormatError(
      path,
      'unsupported-format',
      'not a torch.save file (neither a zip archive nor a legacy pickle)',
    );
  }
  const tensorSet = new WeakSet<object>();
  const root = materializeTree(raw, path, tensorSet);
  const { tensors, metadata } = flattenPthValue(root, tensorSet, path);
  return { format, root, tensors, metadata };
}
