/**
 * Float64 reference implementations of the ops the conformance suite checks. Written for
 * clarity, not speed: plain loops over row-major arrays, with TensorFlow's padding rules.
 */

export type Shape = readonly number[];

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Batched matmul; a is [...batch, m, k] (or [..., k, m] with transposeA), batch dims equal. */
export function refMatMul(
  a: Float64Array,
  aShape: Shape,
  b: Float64Array,
  bShape: Shape,
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const r = aShape.length;
  const batch = size(aShape.slice(0, r - 2));
  const [a0, a1] = [aShape[r - 2]!, aShape[r - 1]!];
  const [b0, b1] = [bShape[r - 2]!, bShape[r - 1]!];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const n = transposeB ? b0 : b1;
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? a[t * a0 * a1 + p * a1 + i]! : a[t * a0 * a1 + i * a1 + p]!;
          const bv = transposeB ? b[t * b0 * b1 + j * b1 + p]! : b[t * b0 * b1 + p * b1 + j]!;
          acc += av * bv;
        }
        out[t * m * n + i * n + j] = acc;
      }
    }
  }
  return out;
}

export interface Conv2dParams {
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations?: [number, number];
}

/** Output size and leading padding of one spatial axis, as TensorFlow computes them. */
export function convAxis(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  pad: 'same' | 'valid',
): { out: number; before: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (pad === 'valid') return { out: Math.ceil((inSize - effective + 1) / stride), before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

/** conv2d, x [N, H, W, Ci] and w [kh, kw, Ci, Co] (tfjs layouts); depthwise: w [kh, kw, Ci, mult]. */
export function refConv2d(
  x: Float64Array,
  xShape: Shape,
  w: Float64Array,
  wShape: Shape,
  params: Conv2dParams,
  depthwise = false,
): { out: Float64Array; shape: number[] } {
  const [n, h, wd, ci] = xShape as [number, number, number, number];
  const [kh, kw, , wLast] = wShape as [number, number, number, number];
  const co = depthwise ? ci * wLast : wLast;
  const [sh, sw] = params.strides;
  const [dh, dw] = params.dilations ?? [1, 1];
  const ax = convAxis(h, kh, sh, dh, params.pad);
  const ay = convAxis(wd, kw, sw, dw, params.pad);
  const out = new Float64Array(n * ax.out * ay.out * co);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ax.out; oh++) {
      for (let ow = 0; ow < ay.out; ow++) {
        for (let oc = 0; oc < co; oc++) {
          let acc = 0;
          for (let i = 0; i < kh; i++) {
            const ih = oh * sh + i * dh - ax.before;
            if (ih < 0 || ih >= h) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ow * sw + j * dw - ay.before;
              if (iw < 0 || iw >= wd) continue;
              if (depthwise) {
                const c = Math.floor(oc / wLast);
                const m = oc % wLast;
                acc +=
                  x[((b * h + ih) * wd + iw) * ci + c]! * w[((i * kw + j) * ci + c) * wLast + m]!;
              } else {
                for (let c = 0; c < ci; c++) {
                  acc +=
                    x[((b * h + ih) * wd + iw) * ci + c]! * w[((i * kw + j) * ci + c) * co + oc]!;
                }
              }
            }
          }
          out[((b * ax.out + oh) * ay.out + ow) * co + oc] = acc;
        }
      }
    }
  }
  return { out, shape: [n, ax.out, ay.out, co] };
}

/**
 * Normalises x over groups of elements: `groupOf(i)` names the group of flat index i; each
 * group is z-scored with its own (biased) variance, then scaled and shifted per channel.
 */
function normalizeGroups(
  x: Float64Array,
  groupOf: (i: number) => number,
  groups: number,
  channelOf: (i: number) => number,
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
): Float64Array {
  const sum = new Float64Array(groups);
  const count = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) {
    sum[groupOf(i)]! += x[i]!;
    count[groupOf(i)]! += 1;
  }
  const mean = sum.map((s, g) => s / count[g]!);
  const sq = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) sq[groupOf(i)]! += (x[i]! - mean[groupOf(i)]!) ** 2;
  const variance = sq.map((s, g) => s / count[g]!);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const g = groupOf(i);
    const c = channelOf(i);
    out[i] = ((x[i]! - mean[g]!) / Math.sqrt(variance[g]! + eps)) * gamma[c]! + beta[c]!;
  }
  return out;
}

/** Training-mode batch norm over all axes but the last (channels-last). */
export function refBatchNormTrain(
  x: Float64Array,
  channels: number,
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
): Float64Array {
  const channel = (i: number) => i % channels;
  return normalizeGroups(x, channel, channels, channel, gamma, beta, eps);
}

/** Inference-mode batch norm with given running statistics (channels-last). */
export function refBatchNormInference(
  x: Float64Array,
  channels: number,
  mean: Float64Array,
  variance: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
): Float64Array {
  return x.map((v, i) => {
    const c = i % channels;
    return ((v - mean[c]!) / Math.sqrt(variance[c]! + eps)) * gamma[c]! + beta[c]!;
  });
}

/** Layer norm over the last axis of size `channels`. */
export function refLayerNorm(
  x: Float64Array,
  channels: number,
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
): Float64Array {
  return normalizeGroups(
    x,
    (i) => Math.floor(i / channels),
    x.length / channels,
    (i) => i % channels,
    gamma,
    beta,
    eps,
  );
}

/** Group norm for channels-last x [N, ..., C] with `groups` groups of C/groups channels. */
export function refGroupNorm(
  x: Float64Array,
  xShape: Shape,
  groups: number,
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
): Float64Array {
  const n = xShape[0]!;
  const c = xShape[xShape.length - 1]!;
  const perSample = x.length / n;
  const perGroup = c / groups;
  return normalizeGroups(
    x,
    (i) => Math.floor(i / perSample) * groups + Math.floor((i % c) / perGroup),
    n * groups,
    (i) => i % c,
    gamma,
    beta,
    eps,
  );
}

/** Softmax over the last axis. */
export function refSoftmax(x: Float64Array, last: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / last; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < last; j++) max = Math.max(max, x[r * last + j]!);
    let total = 0;
    for (let j = 0; j < last; j++) total += Math.exp(x[r * last + j]! - max);
    for (let j = 0; j < last; j++) out[r * last + j] = Math.exp(x[r * last + j]! - max) / total;
  }
  return out;
}

/** Rows of x [rows, inner] picked by `indices` (gather along axis 0). */
export function refGather(
  x: Float64Array,
  inner: number,
  indices: readonly number[],
): Float64Array {
  const out = new Float64Array(indices.length * inner);
  indices.forEach((row, i) => {
    out.set(x.subarray(row * inner, (row + 1) * inner), i * inner);
  });
  return out;
}

/** Cumulative sum along `axis` of x with `shape`, optionally exclusive and/or reversed. */
export function refCumsum(
  x: Float64Array,
  shape: Shape,
  axis: number,
  exclusive: boolean,
  reverse: boolean,
): Float64Array {
  const len = shape[axis]!;
  const inner = size(shape.slice(axis + 1));
  const outer = size(shape.slice(0, axis));
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      let acc = 0;
      for (let s = 0; s < len; s++) {
        const j = reverse ? len - 1 - s : s;
        const idx = (o * len + j) * inner + q;
        if (exclusive) {
          out[idx] = acc;
          acc += x[idx]!;
        } else {
          acc += x[idx]!;
          out[idx] = acc;
        }
      }
    }
  }
  return out;
}

export interface AdamParams {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Runs Adam (Kingma & Ba; the form PyTorch and tfjs use, ε added to the bias-corrected
 * √v̂) over a sequence of gradients and returns the final parameters.
 */
export function refAdam(
  initial: Float64Array,
  gradients: readonly Float64Array[],
  p: AdamParams,
): Float64Array {
  const theta = Float64Array.from(initial);
  const m = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  gradients.forEach((g, step) => {
    const t = step + 1;
    for (let i = 0; i < theta.length; i++) {
      m[i] = p.beta1 * m[i]! + (1 - p.beta1) * g[i]!;
      v[i] = p.beta2 * v[i]! + (1 - p.beta2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - p.beta1 ** t);
      const vHat = v[i]! / (1 - p.beta2 ** t);
      theta[i]! -= (p.learningRate * mHat) / (Math.sqrt(vHat) + p.epsilon);
    }
  });
  return theta;
}
