/**
 * How tensors are cut into tokens.
 *
 * - `'layer'` (RPG's default): each tensor is flattened and cut into tokens of `tokenSize`
 *   values; a token never spans two tensors, the last token of a tensor is padded.
 * - `'flat'`: all selected tensors are concatenated and cut into tokens; only the very last
 *   token is padded, so a token may hold the end of one tensor and the start of the next.
 * - `'channel'`: one row of dim 0 at a time (for a conv weight `[out, in, kh, kw]`, a row is
 *   `in*kh*kw` values); each row starts a new token and is padded to the token width. A 1-D
 *   tensor (bias, BatchNorm parameter) is a single row holding the whole vector, and a 0-d
 *   tensor a row of one value. With the default `tokenSize` (the longest row) every row is one
 *   token; a smaller `tokenSize` splits long rows over several tokens.
 */
export type Granularity = 'layer' | 'flat' | 'channel';

/**
 * Per-tensor normalisation.
 *
 * - `'zscore'`: `(x - mean) / std` with mean and std over every value of that tensor in
 *   every checkpoint of the zoo (std 0 is replaced by 1, so constant tensors encode to 0).
 * - `'log-zscore'`: `u = ln(x / scale + offset)` then z-score of `u`, where `scale` is the zoo
 *   mean of `x` and `offset` is `logOffset`; decoding gives `(exp(u) - offset) * scale`, clamped
 *   to be positive. Meant for BatchNorm `running_var`, as RPG does, so generated variances
 *   stay positive. Needs non-negative values.
 * - `'element-zscore'`: `(x[i] - mean[i]) / std[i]` with a mean and std per element over the
 *   zoo's checkpoints (an element's std 0 is replaced by the tensor's std, or 1). Meant for
 *   BatchNorm `running_mean`: those values are statistics of the data, and the network is
 *   sensitive to their error per channel, in units of that channel's spread, which a single
 *   scale per tensor ignores. Costs two float64 values per element in the saved tokenizer.
 * - `'none'`: values are copied as they are.
 */
export type NormalizationMode = 'zscore' | 'log-zscore' | 'element-zscore' | 'none';

/** Options of `TensorTokenizer.fit` / `TokenizerFitter`. Every field is optional. */
export interface FitOptions {
  /** How tensors are cut into tokens. Default `'layer'`. */
  granularity?: Granularity;
  /**
   * Values per token. Default 8192 (RPG's width) for `'layer'` and `'flat'`, and the longest
   * row of the selected tensors for `'channel'`.
   */
  tokenSize?: number;
  /** Glob patterns (see `globToRegExp`) of tensors that may be generated. Default `['**']`. */
  include?: string[];
  /** Glob patterns of tensors to keep aside even when `include` matches. Default `[]`. */
  exclude?: string[];
  /**
   * Also generate integer and BOOL tensors matched by `include`. Default `false`: they are
   * kept aside. Tokens are float32, so integers round-trip exactly only up to 2^24 in magnitude.
   */
  includeIntegers?: boolean;
  /** Tensors with fewer elements are kept aside. Default 2 (scalars are kept aside). */
  minElements?: number;
  /** `'zscore'` (default) normalises every generated tensor; `'none'` copies values as they are. */
  normalization?: 'zscore' | 'none';
  /**
   * Glob patterns of tensors normalised with `'log-zscore'` instead of `'zscore'` (ignored when
   * `normalization` is `'none'`). Default `['**.running_var']`.
   */
  logTransform?: string[];
  /**
   * Glob patterns of tensors normalised with `'element-zscore'` (one mean and std per element
   * over the zoo); they take precedence over `logTransform`. Ignored when `normalization` is
   * `'none'`. Default `[]`.
   */
  elementwise?: string[];
  /** The `offset` of `'log-zscore'`, relative to the zoo mean. Default 0.05 (as RPG). */
  logOffset?: number;
  /** Value written in padding positions (the mask marks them). Default 0. */
  padValue?: number;
  /** Names of the checkpoints, used in error messages only. */
  checkpointNames?: string[];
}

/**
 * Names always kept aside: a BatchNorm step counter is bookkeeping, not a weight, even when a
 * conversion stored it as a float.
 */
export const ALWAYS_KEPT_ASIDE: readonly string[] = ['**.num_batches_tracked'];

export const DEFAULT_TOKEN_SIZE = 8192;
export const DEFAULT_LOG_TRANSFORM: readonly string[] = ['**.running_var'];
export const DEFAULT_LOG_OFFSET = 0.05;
