import type { DType, StateDict, TensorData } from '@pgen/checkpoint-io';
import { TokenizerFormatError } from './errors';
import type { TensorSignature } from './layout';
import type { TensorNormalization } from './normalizer';
import type { NormalizationMode } from './options';
import type { TokenizerSpec } from './tokenizer-spec';

/** Value of the `format` metadata key of a saved tokenizer. */
export const TOKENIZER_FORMAT = 'pgen.tensor-tokenizer';
export const TOKENIZER_FORMAT_VERSION = 2;
/** Versions this build reads: 2 added per-element statistics, 1 files read unchanged. */
const READABLE_VERSIONS = [1, 2];

/** Metadata key holding the JSON configuration of a saved tokenizer. */
const CONFIG_KEY = 'pgen.tensor-tokenizer.config';
const KEPT_ASIDE_PREFIX = 'kept_aside.';
const ELEMENT_MEAN_PREFIX = 'normalization.element_mean.';
const ELEMENT_STD_PREFIX = 'normalization.element_std.';
const STATISTICS = ['mean', 'std', 'log_scale', 'log_offset'] as const;
const STATISTIC_FIELD = {
  mean: 'mean',
  std: 'std',
  log_scale: 'logScale',
  log_offset: 'logOffset',
} as const;

/** The configuration stored as metadata: everything but the statistics and the template. */
interface StoredConfig {
  version: number;
  granularity: TokenizerSpec['granularity'];
  tokenSize: number;
  padValue: number;
  tensors: Array<TensorSignature & { normalization: NormalizationMode }>;
  keptAside: string[];
  order: string[];
}

/**
 * A fitted tokenizer as safetensors content: statistics as float64 tensors
 * (`normalization.mean|std|log_scale|log_offset`, one value per generated tensor; for
 * `'element-zscore'` tensors also `normalization.element_mean|element_std.<name>`, one value per
 * element), the kept-aside template as `kept_aside.<name>`, the configuration as JSON metadata.
 */
export function specToSafetensors(spec: TokenizerSpec): {
  tensors: StateDict;
  metadata: Record<string, string>;
} {
  const tensors: StateDict = new Map();
  const count = spec.tensors.length;
  for (const key of STATISTICS) {
    const field = STATISTIC_FIELD[key];
    const data = Float64Array.from(spec.tensors, (t) => t.normalization[field]);
    tensors.set(`normalization.${key}`, { dtype: 'F64', shape: [count], data });
  }
  for (const { name, normalization } of spec.tensors) {
    if (normalization.mode !== 'element-zscore') continue;
    const { elementMean, elementStd } = normalization;
    for (const [prefix, data] of [
      [ELEMENT_MEAN_PREFIX, elementMean],
      [ELEMENT_STD_PREFIX, elementStd],
    ] as const) {
      tensors.set(prefix + name, { dtype: 'F64', shape: [data!.length], data: data! });
    }
  }
  for (const [name, tensor] of spec.keptAside) tensors.set(KEPT_ASIDE_PREFIX + name, tensor);
  const config: StoredConfig = {
    version: TOKENIZER_FORMAT_VERSION,
    granularity: spec.granularity,
    tokenSize: spec.tokenSize,
    padValue: spec.padValue,
    tensors: spec.tensors.map(({ name, dtype, shape, normalization }) => ({
      name,
      dtype,
      shape,
      normalization: normalization.mode,
    })),
    keptAside: [...spec.keptAside.keys()],
    order: spec.order,
  };
  return { tensors, metadata: { format: TOKENIZER_FORMAT, [CONFIG_KEY]: JSON.stringify(config) } };
}

/** A saved statistic: the F64 tensor `name` of `count` values; `why` ends the error message. */
function f64Statistic(tensors: StateDict, name: string, count: number, why = ''): Float64Array {
  const tensor = tensors.get(name);
  if (tensor?.dtype !== 'F64' || tensor.data.length !== count) {
    throw new TokenizerFormatError(
      `a saved tokenizer needs an F64 tensor "${name}" of ${count} values${why}`,
    );
  }
  return tensor.data as Float64Array;
}

function parseConfig(metadata: Record<string, string>): StoredConfig {
  if (metadata.format !== TOKENIZER_FORMAT || metadata[CONFIG_KEY] === undefined) {
    throw new TokenizerFormatError(
      `not a saved tokenizer: metadata "format" is ${JSON.stringify(metadata.format)}, ` +
        `expected "${TOKENIZER_FORMAT}" with a "${CONFIG_KEY}" entry`,
    );
  }
  let config: StoredConfig;
  try {
    config = JSON.parse(metadata[CONFIG_KEY]) as StoredConfig;
  } catch (error) {
    throw new TokenizerFormatError(`the saved tokenizer configuration is not JSON: ${error}`);
  }
  if (!READABLE_VERSIONS.includes(config.version)) {
    throw new TokenizerFormatError(
      `saved tokenizer format version ${config.version} is not supported ` +
        `(this build reads versions ${READABLE_VERSIONS.join(', ')})`,
    );
  }
  return config;
}

/** Inverse of `specToSafetensors`. */
export function specFromSafetensors(
  tensors: StateDict,
  metadata: Record<string, string>,
): TokenizerSpec {
  const config = parseConfig(metadata);
  const count = config.tensors.length;
  const [mean, std, logScale, logOffset] = STATISTICS.map((key) =>
    f64Statistic(tensors, `normalization.${key}`, count),
  );
  const keptAside: StateDict = new Map();
  for (const name of config.keptAside) {
    const tensor = tensors.get(KEPT_ASIDE_PREFIX + name);
    if (!tensor) {
      throw new TokenizerFormatError(`the saved tokenizer lacks kept-aside tensor "${name}"`);
    }
    keptAside.set(name, tensor as TensorData);
  }
  return {
    granularity: config.granularity,
    tokenSize: config.tokenSize,
    padValue: config.padValue,
    tensors: config.tensors.map((t, i) => {
      const normalization: TensorNormalization = {
        mode: t.normalization,
        mean: mean![i]!,
        std: std![i]!,
        logScale: logScale![i]!,
        logOffset: logOffset![i]!,
      };
      if (t.normalization === 'element-zscore') {
        const numel = t.shape.reduce((a, b) => a * b, 1);
        const why = ` (tensor "${t.name}" is normalised per element)`;
        normalization.elementMean = f64Statistic(tensors, ELEMENT_MEAN_PREFIX + t.name, numel, why);
        normalization.elementStd = f64Statistic(tensors, ELEMENT_STD_PREFIX + t.name, numel, why);
      }
      return { name: t.name, dtype: t.dtype as DType, shape: t.shape, normalization };
    }),
    keptAside,
    order: config.order,
  };
}
