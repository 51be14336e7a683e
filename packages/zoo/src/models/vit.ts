import {
  Conv2d,
  gelu,
  LayerNorm,
  Module,
  ModuleList,
  type Rng,
  scaledDotProductAttention,
  truncatedNormalInit,
} from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { LoraLinear } from '../lora/lora-linear';
import { MNIST_SIDE } from '../mnist/mnist-data';
import type { ClassifierModel } from './classifier-model';
import { standardize } from './standardize';

export interface VitOptions {
  /** Side of the square patches (default 7: 4×4 = 16 patches); must divide 28. */
  patchSize?: number;
  /** Embedding width (default 64). */
  dim?: number;
  /** Transformer blocks (default 4). */
  depth?: number;
  /** Attention heads (default 4); must divide `dim`. */
  heads?: number;
  /** Hidden width of each MLP as a multiple of `dim` (default 2). */
  mlpRatio?: number;
  /** Outputs (default 10). */
  numClasses?: number;
  rng: Rng;
}

/**
 * timm's init for Linear layers in a ViT: trunc_normal_(std=0.02) weights, zero biases. The
 * layers are `LoraLinear`s, plain Linears until `attachLora` gives them an adapter.
 */
function linear(inF: number, outF: number, rng: Rng): LoraLinear {
  const layer = new LoraLinear(inF, outF, { rng });
  const w = truncatedNormalInit(layer.weight.shape, 0.02, rng);
  layer.weight.assign(w);
  w.dispose();
  const b = tf.zeros([outF]);
  layer.bias!.assign(b);
  b.dispose();
  return layer;
}

/** timm's `Attention` (no q/k norm): fused `qkv` Linear [3·dim, dim], then `proj`. */
class VitAttention extends Module {
  readonly qkv: LoraLinear;
  readonly proj: LoraLinear;

  constructor(
    readonly dim: number,
    readonly heads: number,
    rng: Rng,
  ) {
    super();
    this.qkv = this.addModule('qkv', linear(dim, 3 * dim, rng));
    this.proj = this.addModule('proj', linear(dim, dim, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n, len] = x.shape as [number, number, number];
      const headDim = this.dim / this.heads;
      // timm reshapes qkv output to (B, N, 3, heads, head_dim): features are ordered q|k|v, then
      // head, then channel, so splitting in three and then by head reproduces its layout.
      const toHeads = (t: tf.Tensor) =>
        tf.transpose(tf.reshape(t, [n, len, this.heads, headDim]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(this.qkv.forward(x), 3, -1).map(toHeads) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      const attended = scaledDotProductAttention(q, k, v);
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [n, len, this.dim]);
      return this.proj.forward(merged);
    });
  }
}

/** timm's `Mlp`: fc1 → GELU (exact) → fc2. */
class VitMlp extends Module {
  readonly fc1: LoraLinear;
  readonly fc2: LoraLinear;

  constructor(dim: number, hidden: number, rng: Rng) {
    super();
    this.fc1 = this.addModule('fc1', linear(dim, hidden, rng));
    this.fc2 = this.addModule('fc2', linear(hidden, dim, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(gelu(this.fc1.forward(x))));
  }
}

/** timm's pre-norm `Block`: x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6. */
class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: VitAttention;
  readonly norm2: LayerNorm;
  readonly mlp: VitMlp;

  constructor(dim: number, heads: number, hidden: number, rng: Rng) {
    super();
    this.norm1 = this.addModule('norm1', new LayerNorm(dim, { eps: 1e-6 }));
    this.attn = this.addModule('attn', new VitAttention(dim, heads, rng));
    this.norm2 = this.addModule('norm2', new LayerNorm(dim, { eps: 1e-6 }));
    this.mlp = this.addModule('mlp', new VitMlp(dim, hidden, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.add(x, this.attn.forward(this.norm1.forward(x)));
      return tf.add(y, this.mlp.forward(this.norm2.forward(y)));
    });
  }
}

/** timm's `PatchEmbed` holder, so the conv is named `patch_embed.proj`. */
class PatchEmbed extends Module {
  readonly proj: Conv2d;

  constructor(patch: number, dim: number, rng: Rng) {
    super();
    this.proj = this.addModule('proj', new Conv2d(1, dim, patch, { stride: patch, rng }));
  }

  forward(images: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.proj.forward(images); // [n, h, w, dim]
      const [n, h, w, d] = y.shape as [number, number, number, number];
      // Row-major (h, w) tokens: timm's flatten(2).transpose(1, 2) of the NCHW output.
      return tf.reshape(y, [n, h * w, d]);
    });
  }
}

/**
 * A tiny timm `VisionTransformer` for 28×28 one-channel digits (`img_size=28, patch_size=7,
 * in_chans=1, embed_dim=64, depth=4, num_heads=4, mlp_ratio=2, global_pool='token'` by
 * default): state-dict names `cls_token`, `pos_embed`, `patch_embed.proj.*`, `blocks.i.norm1`,
 * `blocks.i.attn.qkv`, `blocks.i.attn.proj`, `blocks.i.norm2`, `blocks.i.mlp.fc1/fc2`, `norm`,
 * `head`, with timm's shapes and initialisation.
 */
export class MnistVit extends Module implements ClassifierModel {
  readonly arch = 'vit' as const;
  readonly numClasses: number;
  readonly clsToken: tf.Variable;
  readonly posEmbed: tf.Variable;
  readonly patchEmbed: PatchEmbed;
  readonly blocks: ModuleList<VitBlock>;
  readonly norm: LayerNorm;
  readonly head: LoraLinear;

  constructor(options: VitOptions) {
    super();
    const patch = options.patchSize ?? 7;
    const dim = options.dim ?? 64;
    const depth = options.depth ?? 4;
    const heads = options.heads ?? 4;
    const hidden = Math.round(dim * (options.mlpRatio ?? 2));
    if (MNIST_SIDE % patch !== 0) throw new Error(`MnistVit: patch ${patch} does not divide 28`);
    if (dim % heads !== 0) throw new Error(`MnistVit: ${heads} heads do not divide dim ${dim}`);
    const rng = options.rng;
    const tokens = (MNIST_SIDE / patch) ** 2;
    this.numClasses = options.numClasses ?? 10;
    // timm registers cls_token and pos_embed before its submodules; state dicts keep that order.
    this.clsToken = this.addParameter('cls_token', truncatedNormalInit([1, 1, dim], 1e-6, rng));
    this.posEmbed = this.addParameter(
      'pos_embed',
      truncatedNormalInit([1, tokens + 1, dim], 0.02, rng),
    );
    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed(patch, dim, rng));
    this.blocks = this.addModule(
      'blocks',
      new ModuleList(Array.from({ length: depth }, () => new VitBlock(dim, heads, hidden, rng))),
    );
    this.norm = this.addModule('norm', new LayerNorm(dim, { eps: 1e-6 }));
    this.head = this.addModule('head', linear(dim, this.numClasses, rng));
  }

  forward(images: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const patches = this.patchEmbed.forward(standardize(images));
      const n = patches.shape[0]!;
      const cls = tf.tile(this.clsToken, [n, 1, 1]);
      let x = tf.add(tf.concat([cls, patches], 1), this.posEmbed);
      for (const block of this.blocks.items) x = block.forward(x);
      const pooled = tf.squeeze(tf.slice(this.norm.forward(x), [0, 0, 0], [-1, 1, -1]), [1]);
      return this.head.forward(pooled);
    });
  }
}
