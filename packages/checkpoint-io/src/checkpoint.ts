import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UnsupportedFormatError } from './errors';
import { ADAPTER_CONFIG_FILE, readPeftAdapter } from './peft/peft-adapter';
import { looksLikeLegacyPth } from './pth/legacy-pth-reader';
import { looksLikeZip, readPrefix, readPth } from './pth/pth-reader';
import { readSafetensors } from './safetensors/reader';
import type { StateDict } from './state-dict';
import { readTfjsWeights } from './tfjs/tfjs-reader';

/** Every format `readCheckpoint` recognises. */
export type CheckpointFormat = 'safetensors' | 'pth' | 'pth-legacy' | 'peft' | 'tfjs';

/** A checkpoint in any format, as one StateDict. */
export interface Checkpoint {
  format: CheckpointFormat;
  tensors: StateDict;
  /** safetensors `__metadata__`, scalars beside a .pth's tensors, or config fields. */
  metadata: Record<string, string>;
}

/** Decides a path's format from its content (and, for folders, their files). */
export async function detectCheckpointFormat(path: string): Promise<CheckpointFormat> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const files = new Set(await readdir(path));
    if (files.has(ADAPTER_CONFIG_FILE)) return 'peft';
    if (files.has('model.json')) return 'tfjs';
    throw new UnsupportedFormatError(
      path,
      `folder has neither ${ADAPTER_CONFIG_FILE} (PEFT adapter) nor model.json (tfjs model)`,
    );
  }
  const prefix = await readPrefix(path, 16);
  if (looksLikeZip(prefix)) return 'pth';
  if (looksLikeLegacyPth(prefix)) return 'pth-legacy';
  const first = prefix[8];
  // safetensors: an 8-byte length, then JSON (possibly after whitespace).
  if (first === 0x7b || first === 0x20 || first === 0x09 || first === 0x0a || first === 0x0d)
    return 'safetensors';
  if (path.endsWith('.safetensors')) return 'safetensors';
  if (basename(path).endsWith('.json') && prefix.length > 0) return 'tfjs';
  throw new UnsupportedFormatError(
    path,
    'not a safetensors, torch.save (.pth/.pt), PEFT or tfjs checkpoint',
  );
}

/** Reads any supported checkpoint into one flat StateDict. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const format = await detectCheckpointFormat(path);
  switch (format) {
    case 'safetensors': {
      const { tensors, metadata } = await readSafetensors(path);
      return { format, tensors, metadata };
    }
    case 'pth':
    case 'pth-legacy': {
      const { tensors, metadata } = await readPth(path);
      return { format, tensors, metadata };
    }
    case 'peft': {
      const { config, tensors } = await readPeftAdapter(path);
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(config.raw)) {
        if (v !== null && v !== undefined)
          metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      return { format, tensors, metadata };
    }
    case 'tfjs': {
      const modelJson = (await stat(path)).isDirectory() ? join(path, 'model.json') : path;
      const { tensors, metadata } = await readTfjsWeights(modelJson);
      return { format, tensors, metadata };
    }
  }
}
