import * as tf from '@tensorflow/tfjs-core';

/**
 * Inputs of Mamba's selective scan, channels-last (the reference `selective_scan_ref` takes
 * [batch, channels, length]; here length comes before channels, tfjs's NWC layout).
 */
export interface SelectiveScanInputs {
  /** The sequence to scan, u: [batch, length, dInner]. */
  u: tf.Tensor;
  /** Step sizes Δ, already positive (after softplus and bias): [batch, length, dInner]. */
  delta: tf.Tensor;
  /** Continuous-time state matrix A (negative, −exp(A_log)): [dInner, dState]. */
  A: tf.Tensor;
  /** Input-dependent B: [batch, length, dState]. */
  B: tf.Tensor;
  /** Input-dependent C: [batch, length, dState]. */
  C: tf.Tensor;
  /** Skip connection D: [dInner]. */
  D: tf.Tensor;
}

export interface SelectiveScanOptions {
  /**
   * Positions per chunk, at least 2 (default 16). The scan forms batch·dInner·dState·length·
   * chunkSize values at its first level, so smaller chunks save memory on long sequences at the
   * cost of more levels (log_chunkSize(length)).
   */
  chunkSize?: number;
}

// Added to log-decays of (target, source) pairs with source after target: exp() of the sum is
// exactly 0, and its gradient too, without the inf·0 = NaN that masking after exp() risks.
const BLOCKED = -1e9;

function assertShapes({
  u,
  delta,
  A,
  B,
  C,
  D,
}: SelectiveScanInputs): [number, number, number, number] {
  const [batch, length, dInner] = u.shape as [number, number, number];
  const dState = A.shape[1]!;
  const problems: string[] = [];
  const expect = (name: string, t: tf.Tensor, want: number[]) => {
    if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i])) {
      problems.push(`${name} has shape [${t.shape}], expected [${want}]`);
    }
  };
  if (u.rank !== 3) problems.push(`u has shape [${u.shape}], expected [batch, length, dInner]`);
  expect('delta', delta, [batch, length, dInner]);
  expect('A', A, [dInner, dState]);
  expect('B', B, [batch, length, dState]);
  expect('C', C, [batch, length, dState]);
  expect('D', D, [dInner]);
  if (problems.length > 0) throw new Error(`selectiveScan: ${problems.join('; ')}`);
  return [batch, length, dInner, dState];
}

/**
 * States of h_t = exp(a_t)⊙h_{t−1} + x_t (h_{−1} = 0) for every t, from the cumulative
 * log-decays S = cumsum(a) over axis 1: h_t = Σ_{s≤t} exp(S_t − S_s)⊙x_s, with all (t, s) pairs
 * at once. The pairwise differences are formed explicitly, never exp(S_t)·exp(−S_s), because
 * exp(−S_s) overflows float32 once a sequence has decayed by e^88.
 * `logDecayCumsum`, `x`: [groups, T, features] → [groups, T, features].
 */
function maskedDecaySum(logDecayCumsum: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = logDecayCumsum.shape[1]!;
    const blocked = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) blocked[i * t + j] = BLOCKED;
    // [groups, target, source, features]
    const diff = tf.sub(tf.expandDims(logDecayCumsum, 2), tf.expandDims(logDecayCumsum, 1));
    const decay = tf.exp(tf.add(diff, tf.tensor3d(blocked, [t, t, 1])));
    return tf.sum(tf.mul(decay, tf.expandDims(x, 1)), 2);
  });
}

/**
 * States of the linear recurrence h_t = exp(a_t)⊙h_{t−1} + x_t (h_{−1} = 0) for every t,
 * `logDecay` a and `x`: [groups, T, features] → [groups, T, features], in chunks:
 *
 * 1. The sequence is cut into chunks of `chunk` positions (the last zero-padded, which cannot
 *    reach earlier positions). Within every chunk at once, cumulative log-decays come from
 *    `tf.cumsum` and each position's state from zero is a masked, decay-weighted sum over the
 *    chunk's earlier positions (`maskedDecaySum`).
 * 2. The chunks' end states form a recurrence of the same kind over chunks (log-decay: the
 *    chunk totals), solved by this same function, so no level ever forms more than
 *    T·chunk·features values: memory is linear in T (a single level across all chunks would
 *    be quadratic in T / chunk, which 86M-parameter targets, ~85K tokens, cannot afford).
 * 3. A position's state is its in-chunk state plus the state entering its chunk, decayed.
 *
 * Precision: decays come from float32 differences of cumulative log-decays within one chunk
 * at one level, so their relative error is about 6e−8 times a chunk's total log-decay.
 */
function linearRecurrence(logDecay: tf.Tensor, x: tf.Tensor, chunk: number): tf.Tensor {
  return tf.tidy(() => {
    const [groups, length, features] = logDecay.shape as [number, number, number];
    if (length <= chunk) return maskedDecaySum(tf.cumsum(logDecay, 1), x);
    const numChunks = Math.ceil(length / chunk);
    const padded = numChunks * chunk;
    const toChunks = (t: tf.Tensor) => {
      const p =
        padded > length
          ? tf.pad(t, [
              [0, 0],
              [0, padded - length],
              [0, 0],
            ])
          : t;
      return tf.reshape(p, [groups * numChunks, chunk, features]);
    };
    const cum = tf.cumsum(toChunks(logDecay), 1);
    const local = maskedDecaySum(cum, toChunks(x));
    const last = (t: tf.Tensor) =>
      tf.reshape(tf.slice(t, [0, chunk - 1, 0], [-1, 1, -1]), [groups, numChunks, features]);
    const chunkOut = linearRecurrence(last(cum), last(local), chunk);
    const entering = tf.reshape(
      tf.concat(
        [tf.zeros([groups, 1, features]), tf.slice(chunkOut, [0, 0, 0], [-1, numChunks - 1, -1])],
        1,
      ),
      [groups * numChunks, 1, features],
    );
    const states = tf.add(local, tf.mul(tf.exp(cum), entering));
    return tf.slice(tf.reshape(states, [groups, padded, features]), [0, 0, 0], [-1, length, -1]);
  });
}

/**
 * Mamba's selective scan, y_t = C_t·h_t + D⊙u_t with h_t = exp(Δ_t·A)⊙h_{t−1} + Δ_t·B_t·u_t
 * (h_{−1} = 0), in chunked parallel form (see `linearRecurrence`), differentiable through
 * tfjs ops. No step loops over positions, so the op count grows only with log(length), and
 * memory is linear in the length. Returns [batch, length, dInner] (without Mamba's silu(z)
 * gate, which the layer applies).
 */
export function selectiveScan(
  inputs: SelectiveScanInputs,
  options: SelectiveScanOptions = {},
): tf.Tensor {
  return tf.tidy(() => {
    const { y, finalState } = selectiveScanWithState(inputs, undefined, options);
    finalState.dispose();
    return y;
  });
}

/**
 * {@link selectiveScan} from a given state h_{−1} ([batch, dInner, dState]; zeros when
 * omitted), also returning h at the last position, so a long sequence can be scanned one
 * segment at a time with the state carried between segments: the same outputs as one scan,
 * with memory bounded by the segment.
 */
export function selectiveScanWithState(
  inputs: SelectiveScanInputs,
  initialState?: tf.Tensor,
  options: SelectiveScanOptions = {},
): { y: tf.Tensor; finalState: tf.Tensor } {
  const [batch, length, dInner, dState] = assertShapes(inputs);
  const chunkSize = options.chunkSize ?? 16;
  if (!Number.isInteger(chunkSize) || chunkSize < 2) {
    throw new Error(`selectiveScan: chunkSize must be an integer ≥ 2, got ${chunkSize}`);
  }
  const want = [batch, dInner, dState];
  if (initialState?.shape.some((d, i) => d !== want[i])) {
    throw new Error(
      `selectiveScan: initial state has shape [${initialState.shape}], expected [${want}]`,
    );
  }
  const { u, delta, A, B, C, D } = inputs;
  return tf.tidy(() => {
    const features = dInner * dState;
    // Per position, channel and state: log-decay Δ·A (≤ 0) and input Δ·u·B.
    const logDecay = tf.reshape(tf.mul(tf.expandDims(delta, 3), A), [batch, length, features]);
    const drive = tf.reshape(tf.mul(tf.expandDims(tf.mul(delta, u), 3), tf.expandDims(B, 2)), [
      batch,
      length,
      features,
    ]);
    let states = linearRecurrence(logDecay, drive, chunkSize);
    if (initialState) {
      // The carried state decays by the cumulative log-decay up to each position (≤ 0, so exp()
      // cannot overflow however long the segment).
      const carried = tf.mul(
        tf.exp(tf.cumsum(logDecay, 1)),
        tf.reshape(initialState, [batch, 1, features]),
      );
      states = tf.add(states, carried);
    }
    const h = tf.reshape(states, [batch * length, dInner, dState]);
    const y = tf.matMul(h, tf.reshape(C, [batch * length, dState, 1]));
    const finalState = tf.reshape(tf.slice(states, [0, length - 1, 0], [-1, 1, -1]), want);
    return { y: tf.add(tf.reshape(y, [batch, length, dInner]), tf.mul(u, D)), finalState };
  });
}

/**
 * The same scan as {@link selectiveScan}, one position at a time (a step is a few small ops on
 * the [batch, dInner, dState] state). A direct transcription of the recurrence, kept as the
 * in-library reference for the chunked form and for short sequences.
 */
export function selectiveScanSequential(inputs: SelectiveScanInputs): tf.Tensor {
  const [batch, length, dInner, dState] = assertShapes(inputs);
  const { u, delta, A, B, C, D } = inputs;
  return tf.tidy(() => {
    const us = tf.unstack(u, 1);
    const deltas = tf.unstack(delta, 1);
    const bs = tf.unstack(B, 1);
    const cs = tf.unstack(C, 1);
    let h: tf.Tensor = tf.zeros([batch, dInner, dState]);
    const ys: tf.Tensor[] = [];
    for (let t = 0; t < length; t++) {
      const dt = tf.expandDims(deltas[t]!, 2);
      const drive = tf.mul(tf.expandDims(tf.mul(deltas[t]!, us[t]!), 2), tf.expandDims(bs[t]!, 1));
      h = tf.add(tf.mul(tf.exp(tf.mul(dt, A)), h), drive);
      ys.push(tf.reshape(tf.matMul(h, tf.expandDims(cs[t]!, 2)), [batch, dInner]));
    }
    return tf.add(tf.stack(ys, 1), tf.mul(u, D));
  });
}
