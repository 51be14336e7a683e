import { Embedding, Linear, Module, normalInit, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link PriorInput}: each optional part is present when its size is given. */
export interface PriorInputOptions {
  /** Features per prior input position (the prior's dIn). */
  dIn: number;
  /** Width of the position embeddings passed to `forward` ([positions, dPos]). */
  dPos: number;
  /** Width of the condition ([batch, dCond]); omit for an unconditional prior. */
  dCond?: number;
  /**
   * Add the condition only at the last k positions (RPG's reference code does this); omit to
   * add it at every position.
   */
  condLastK?: number;
  /** Zoo checkpoints, each with a learned permutation state; omit to leave them out. */
  numCheckpoints?: number;
  /** Width of a permutation state before its projection (default dIn). */
  permutationDim?: number;
  /**
   * Token size for teacher forcing: position p also gets the clean token p − 1 (position 0 a
   * learned start token). Omit to leave it out, as RPG's reference code does.
   */
  tokenSize?: number;
}

/** {@link PriorInput}'s options as saved. */
export type PriorInputConfig = { type: 'PriorInput'; options: PriorInputOptions };

/** The per-position parts `PriorInput.forward` combines. */
export interface PriorInputParts {
  /** [positions, dPos], the same for every batch row (e.g. `sinusoidal1d`). */
  positions: tf.Tensor;
  /** [batch, dCond]; required when the builder has a condition. */
  condition?: tf.Tensor;
  /** int32 [batch]: the zoo checkpoint of each row; required with permutation states. */
  checkpoint?: tf.Tensor;
  /** [batch, positions, tokenSize] clean tokens; required with teacher forcing. */
  tokens?: tf.Tensor;
  /**
   * Teacher forcing, for a window of a longer sequence: [batch, positions, tokenSize] where row
   * i is the clean token at absolute position offset + i − 1 (what `tokens` would supply after
   * its shift); at absolute position 0 the start token replaces it. Give this or `tokens`.
   */
  previousTokens?: tf.Tensor;
  /**
   * Absolute index of the first of `positions` in the whole sequence (default 0), for a prior
   * run window by window; `total` is the whole sequence's length (default: offset + positions),
   * which decides where the last-k condition starts.
   */
  offset?: number;
  total?: number;
  /** Rows, when no other part says (only positions given). */
  batch?: number;
}

/**
 * Builds RPG's prior input per position: Linear(position embedding) + Linear(condition,
 * broadcast to every position or the last k) + Linear(permutation state of the row's zoo
 * checkpoint) + Linear(previous clean token, teacher forcing), summed to [batch, positions, dIn].
 *
 * The permutation state is how RPG tells apart checkpoints that are equal up to a permutation
 * of hidden units: each training checkpoint gets its own learned vector, and generation picks
 * one at random (`randomCheckpoints`). Names: pos_proj, cond_proj, perm_embed, perm_proj,
 * start_token, token_proj.
 */
export class PriorInput extends Module {
  readonly config: PriorInputConfig;
  readonly posProj: Linear;
  readonly condProj: Linear | undefined;
  readonly permEmbed: Embedding | undefined;
  readonly permProj: Linear | undefined;
  readonly startToken: tf.Variable | undefined;
  readonly tokenProj: Linear | undefined;

  constructor(
    readonly options: PriorInputOptions,
    init: { rng?: Rng } = {},
  ) {
    super();
    this.config = { type: 'PriorInput', options: { ...options } };
    const { dIn, rng } = { ...options, ...init };
    this.posProj = this.addModule('pos_proj', new Linear(options.dPos, dIn, { rng }));
    if (options.dCond !== undefined) {
      this.condProj = this.addModule('cond_proj', new Linear(options.dCond, dIn, { rng }));
    }
    if (options.numCheckpoints !== undefined) {
      const dim = options.permutationDim ?? dIn;
      this.permEmbed = this.addModule(
        'perm_embed',
        new Embedding(options.numCheckpoints, dim, { rng }),
      );
      this.permProj = this.addModule('perm_proj', new Linear(dim, dIn, { rng }));
    }
    if (options.tokenSize !== undefined) {
      this.startToken = this.addParameter(
        'start_token',
        normalInit([options.tokenSize], 0.02, rng),
      );
      this.tokenProj = this.addModule('token_proj', new Linear(options.tokenSize, dIn, { rng }));
    }
  }

  /** [batch, positions, dIn], the sum of the configured parts. */
  forward(parts: PriorInputParts): tf.Tensor {
    const [numPositions, batch] = this.check(parts);
    return tf.tidy(() => {
      let x = tf.tile(tf.expandDims(this.posProj.forward(parts.positions), 0), [batch, 1, 1]);
      if (this.condProj) {
        let cond = tf.expandDims(this.condProj.forward(parts.condition!), 1);
        const k = this.options.condLastK;
        const offset = parts.offset ?? 0;
        const total = parts.total ?? offset + numPositions;
        if (k !== undefined && k < total) {
          // 1 at absolute positions ≥ total − k, relative to this window.
          const mask = new Float32Array(numPositions);
          mask.fill(1, Math.min(numPositions, Math.max(0, total - k - offset)));
          cond = tf.mul(cond, tf.tensor3d(mask, [1, numPositions, 1]));
        }
        x = tf.add(x, cond);
      }
      if (this.permEmbed && this.permProj) {
        const state = this.permProj.forward(this.permEmbed.forward(parts.checkpoint!));
        x = tf.add(x, tf.expandDims(state, 1));
      }
      if (this.tokenProj && this.startToken) {
        const size = this.options.tokenSize!;
        const start = tf.tile(tf.reshape(this.startToken, [1, 1, size]), [batch, 1, 1]);
        let previous: tf.Tensor;
        if (parts.previousTokens) {
          previous =
            (parts.offset ?? 0) > 0
              ? parts.previousTokens
              : tf.concat(
                  [start, tf.slice(parts.previousTokens, [0, 1, 0], [-1, numPositions - 1, -1])],
                  1,
                );
        } else {
          const tokens = parts.tokens!;
          previous =
            numPositions === 1
              ? start
              : tf.concat([start, tf.slice(tokens, [0, 0, 0], [-1, numPositions - 1, -1])], 1);
        }
        x = tf.add(x, this.tokenProj.forward(previous));
      }
      return x;
    });
  }

  /** Uniform checkpoint indices for generation: a random permutation state per row. */
  randomCheckpoints(batch: number, rng: Rng): tf.Tensor {
    const n = this.options.numCheckpoints;
    if (n === undefined) throw new Error('PriorInput: built without permutation states');
    return tf.tensor1d(
      Array.from({ length: batch }, () => rng.int(n)),
      'int32',
    );
  }

  /** Validates every part and returns [positions, batch]; lists all problems in one error. */
  private check(parts: PriorInputParts): [number, number] {
    const o = this.options;
    const problems: string[] = [];
    const [numPositions, dPos] = parts.positions.shape;
    if (parts.positions.rank !== 2 || dPos !== o.dPos) {
      problems.push(
        `positions has shape [${parts.positions.shape}], expected [positions, ${o.dPos}]`,
      );
    }
    const batches = new Set<number>();
    if (parts.batch !== undefined) batches.add(parts.batch);
    const need = (name: string, t: tf.Tensor | undefined, present: boolean, want: string) => {
      if (present && !t) problems.push(`${name} is required (${want})`);
      if (!present && t) problems.push(`${name} was given but the builder has no ${name} part`);
      if (t) batches.add(t.shape[0]!);
    };
    need('condition', parts.condition, o.dCond !== undefined, `[batch, ${o.dCond}]`);
    if (parts.condition && (parts.condition.rank !== 2 || parts.condition.shape[1] !== o.dCond)) {
      problems.push(`condition has shape [${parts.condition.shape}], expected [batch, ${o.dCond}]`);
    }
    need('checkpoint', parts.checkpoint, o.numCheckpoints !== undefined, 'int32 [batch]');
    if (parts.checkpoint && parts.checkpoint.rank !== 1) {
      problems.push(`checkpoint has shape [${parts.checkpoint.shape}], expected [batch]`);
    }
    if (parts.tokens && parts.previousTokens)
      problems.push('give tokens or previousTokens, not both');
    const tokensName = parts.previousTokens ? 'previousTokens' : 'tokens';
    const tok = parts.previousTokens ?? parts.tokens;
    need(tokensName, tok, o.tokenSize !== undefined, `[batch, positions, ${o.tokenSize}]`);
    if (tok && (tok.rank !== 3 || tok.shape[1] !== numPositions || tok.shape[2] !== o.tokenSize)) {
      problems.push(
        `${tokensName} has shape [${tok.shape}], expected [batch, ${numPositions}, ${o.tokenSize}]`,
      );
    }
    const offset = parts.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0)
      problems.push(`offset must be a non-negative integer, got ${offset}`);
    if (parts.total !== undefined && !(parts.total >= offset + numPositions!)) {
      problems.push(
        `total (${parts.total}) is below offset + positions (${offset + numPositions!})`,
      );
    }
    if (batches.size > 1) problems.push(`parts disagree on the batch size (${[...batches]})`);
    if (batches.size === 0) problems.push('batch is required when only positions are given');
    if (problems.length > 0) throw new Error(`PriorInput: ${problems.join('; ')}`);
    return [numPositions!, [...batches][0]!];
  }
}
