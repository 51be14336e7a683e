import { PeftAdapterError } from '../errors';

/** The fields of a PEFT `adapter_config.json` that reading and merging depend on. */
export interface LoraConfig {
  /** Default rank. */
  r: number;
  /** Default alpha; scaling is alpha / r (alpha / √r with rsLoRA). */
  loraAlpha: number;
  /** rsLoRA: scale by alpha / √r instead of alpha / r. */
  useRslora: boolean;
  /** True when the base layer stores its weight as [in, out] (GPT-2's Conv1D). */
  fanInFanOut: boolean;
  targetModules: string[] | string | null;
  /** Per-module rank overrides, keyed by a module-name suffix (or regex, as in PEFT). */
  rankPattern: Record<string, number>;
  /** Per-module alpha overrides, keyed like `rankPattern`. */
  alphaPattern: Record<string, number>;
  /** The whole JSON object, so writing it back loses nothing. */
  raw: Record<string, unknown>;
}

/** Default `raw` fields written for a config built from scratch. */
const DEFAULT_RAW = {
  peft_type: 'LORA',
  bias: 'none',
  lora_dropout: 0,
  inference_mode: true,
  use_dora: false,
};

/** Validates a parsed `adapter_config.json`. */
export function parseLoraConfig(json: unknown, file: string): LoraConfig {
  const bad = (why: string) => new PeftAdapterError(file, 'invalid-config', why);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad('adapter config is not a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.peft_type !== undefined && raw.peft_type !== 'LORA') {
    throw new PeftAdapterError(
      file,
      'unsupported-peft-type',
      `peft_type ${String(raw.peft_type)} is not supported (only LORA)`,
    );
  }
  if (raw.use_dora === true) {
    throw new PeftAdapterError(
      file,
      'unsupported-peft-type',
      'DoRA adapters (use_dora: true) are not supported',
    );
  }
  const r = raw.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0)
    throw bad('"r" must be a positive integer');
  const alpha = raw.lora_alpha ?? r;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    throw bad('"lora_alpha" must be a number');
  const patterns = (key: string): Record<string, number> => {
    const v = raw[key];
    if (v === undefined || v === null) return {};
    if (
      typeof v !== 'object' ||
      Array.isArray(v) ||
      !Object.values(v).every((x) => typeof x === 'number' && x > 0)
    ) {
      throw bad(`"${key}" must map module names to positive numbers`);
    }
    return v as Record<string, number>;
  };
  const targets = raw.target_modules;
  return {
    r,
    loraAlpha: alpha,
    useRslora: raw.use_rslora === true,
    fanInFanOut: raw.fan_in_fan_out === true,
    targetModules: Array.isArray(targets)
      ? targets.map(String)
      : typeof targets === 'string'
        ? targets
        : null,
    rankPattern: patterns('rank_pattern'),
    alphaPattern: patterns('alpha_pattern'),
    raw,
  };
}

/** Creates a config from its main fields (the rest take PEFT's defaults). */
export function makeLoraConfig(
  fields: Partial<Omit<LoraConfig, 'raw'>> & { r: number },
): LoraConfig {
  return {
    r: fields.r,
    loraAlpha: fields.loraAlpha ?? fields.r,
    useRslora: fields.useRslora ?? false,
    fanInFanOut: fields.fanInFanOut ?? false,
    targetModules: fields.targetModules ?? null,
    rankPattern: fields.rankPattern ?? {},
    alphaPattern: fields.alphaPattern ?? {},
    raw: {},
  };
}

/** The JSON to write: `raw` with the typed fields laid over it. */
export function loraConfigToJson(config: LoraConfig): Record<string, unknown> {
  return {
    ...DEFAULT_RAW,
    ...config.raw,
    r: config.r,
    lora_alpha: config.loraAlpha,
    use_rslora: config.useRslora,
    fan_in_fan_out: config.fanInFanOut,
    target_modules: config.targetModules,
    rank_pattern: config.rankPattern,
    alpha_pattern: config.alphaPattern,
  };
}

/**
 * The pattern key that applies to a module, as PEFT matches it: the key equals the module
 * name or is a dotted suffix of it. The longest match wins.
 */
function matchPattern(patterns: Record<string, number>, module: string): number | undefined {
  let best: string | undefined;
  for (const key of Object.keys(patterns)) {
    if (
      (module === key || module.endsWith(`.${key}`)) &&
      (best === undefined || key.length > best.length)
    )
      best = key;
  }
  return best === undefined ? undefined : patterns[best];
}

/** Rank, alpha and resulting scaling for one module. */
export function loraScaling(
  config: LoraConfig,
  module: string,
): { rank: number; alpha: number; scaling: number } {
  const rank = matchPattern(config.rankPattern, module) ?? config.r;
  const alpha = matchPattern(config.alphaPattern, module) ?? config.loraAlpha;
  const scaling = config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
  return { rank, alpha, scaling };
}
