import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpointAtomic, writeFully } from '../atomic-write';
import { PeftAdapterError } from '../errors';
import { readPth } from '../pth/pth-reader';
import { readSafetensors } from '../safetensors/reader';
import { writeSafetensors } from '../safetensors/writer';
import type { StateDict, TensorData } from '../state-dict';
import { type LoraConfig, loraConfigToJson, loraScaling, parseLoraConfig } from './lora-config';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const LEGACY_WEIGHTS_FILE = 'adapter_model.bin';

/** A PEFT LoRA adapter: its config and its tensors under PEFT's key names. */
export interface PeftAdapter {
  config: LoraConfig;
  /** Keys such as `base_model.model.<module>.lora_A.weight` ([r, in]) and `.lora_B.weight` ([out, r]). */
  tensors: StateDict;
}

/** One adapted module: its low-rank pair. */
export interface LoraModule {
  /** Module path without the PEFT prefix, e.g. `transformer.h.0.attn.c_attn`. */
  module: string;
  /** [r, in] (`lora_embedding_A`: [r, num_embeddings]). */
  a: TensorData;
  /** [out, r] (`lora_embedding_B`: [embedding_dim, r]). */
  b: TensorData;
  /** Embedding adapters apply (B·A)ᵀ. */
  embedding: boolean;
}

const PREFIX = 'base_model.model.';
const KEY = /^(.*)\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\.weight)?$/;

/** Pairs the adapter's A and B tensors by module, checking shapes against the config. */
export function loraModules(adapter: PeftAdapter, file = '<adapter>'): LoraModule[] {
  const byModule = new Map<
    string,
    Partial<Record<'A' | 'B', TensorData>> & { embedding: boolean }
  >();
  for (const [key, tensor] of adapter.tensors) {
    const m = KEY.exec(key);
    if (!m) continue;
    const module = m[1]!.startsWith(PREFIX) ? m[1]!.slice(PREFIX.length) : m[1]!;
    const part = m[2]!.endsWith('A') ? 'A' : 'B';
    const entry = byModule.get(module) ?? { embedding: m[2]!.startsWith('lora_embedding') };
    entry[part] = tensor;
    byModule.set(module, entry);
  }
  const out: LoraModule[] = [];
  for (const [module, { A, B, embedding }] of byModule) {
    if (!A || !B) {
      throw new PeftAdapterError(
        file,
        'unpaired-lora',
        `module "${module}" has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`,
      );
    }
    const { rank } = loraScaling(adapter.config, module);
    if (
      A.shape.length !== 2 ||
      B.shape.length !== 2 ||
      A.shape[0] !== rank ||
      B.shape[1] !== rank
    ) {
      throw new PeftAdapterError(
        file,
        'invalid-lora-shape',
        `module "${module}": lora_A [${A.shape.join(', ')}] and lora_B [${B.shape.join(', ')}] do not match rank ${rank} (expected A [r, in], B [out, r])`,
      );
    }
    out.push({ module, a: A, b: B, embedding });
  }
  return out;
}

/**
 * Reads a PEFT adapter folder (`adapter_config.json` plus `adapter_model.safetensors`, or a
 * legacy `adapter_model.bin` read with the restricted unpickler).
 */
export async function readPeftAdapter(dir: string): Promise<PeftAdapter> {
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PeftAdapterError(
        dir,
        'missing-config',
        `no ${ADAPTER_CONFIG_FILE} in the adapter folder`,
      );
    }
    throw new PeftAdapterError(configPath, 'invalid-config', 'adapter config is not valid JSON', {
      cause,
    });
  }
  const config = parseLoraConfig(json, configPath);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  let tensors: StateDict;
  if (await exists(weightsPath)) {
    tensors = (await readSafetensors(weightsPath)).tensors;
  } else if (await exists(join(dir, LEGACY_WEIGHTS_FILE))) {
    tensors = (await readPth(join(dir, LEGACY_WEIGHTS_FILE))).tensors;
  } else {
    throw new PeftAdapterError(
      dir,
      'missing-weights',
      `no ${ADAPTER_WEIGHTS_FILE} in the adapter folder`,
    );
  }
  const adapter = { config, tensors };
  loraModules(adapter, dir);
  return adapter;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Options of `writePeftAdapter`. */
export interface WritePeftAdapterOptions {
  /**
   * Extra string entries for the safetensors header's `__metadata__` (e.g. the task an adapter
   * was trained on), written next to PEFT's `format: "pt"`, which they cannot replace.
   */
  metadata?: Record<string, string>;
}

/**
 * Writes a PEFT adapter folder that `PeftModel.from_pretrained` loads: the config and the
 * tensors (as safetensors with PEFT's `{"format": "pt"}` metadata plus `options.metadata`),
 * each atomically.
 */
export async function writePeftAdapter(
  dir: string,
  adapter: PeftAdapter,
  options: WritePeftAdapterOptions = {},
): Promise<void> {
  loraModules(adapter, dir);
  if (options.metadata && 'format' in options.metadata) {
    throw new PeftAdapterError(
      dir,
      'invalid-metadata',
      'metadata may not set "format": PEFT needs it to be "pt"',
    );
  }
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), adapter.tensors, {
    metadata: { ...options.metadata, format: 'pt' },
  });
  const text = `${JSON.stringify(loraConfigToJson(adapter.config), null, 2)}\n`;
  await writeCheckpointAtomic(join(dir, ADAPTER_CONFIG_FILE), (file) =>
    writeFully(file, new TextEncoder().encode(text), 0),
  );
}
