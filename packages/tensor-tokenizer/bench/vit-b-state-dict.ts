import type { StateDict, TensorData } from '@pgen/checkpoint-io';
import { seededRandom } from '../src/synthetic-state-dict';

/** Names and shapes of timm's `vit_base_patch16_224` state dict (86.6M parameters). */
export function vitBaseShapes(): Array<[string, number[]]> {
  const width = 768;
  const shapes: Array<[string, number[]]> = [
    ['cls_token', [1, 1, width]],
    ['pos_embed', [1, 197, width]],
    ['patch_embed.proj.weight', [width, 3, 16, 16]],
    ['patch_embed.proj.bias', [width]],
  ];
  for (let i = 0; i < 12; i++) {
    const block = `blocks.${i}`;
    shapes.push(
      [`${block}.norm1.weight`, [width]],
      [`${block}.norm1.bias`, [width]],
      [`${block}.attn.qkv.weight`, [3 * width, width]],
      [`${block}.attn.qkv.bias`, [3 * width]],
      [`${block}.attn.proj.weight`, [width, width]],
      [`${block}.attn.proj.bias`, [width]],
      [`${block}.norm2.weight`, [width]],
      [`${block}.norm2.bias`, [width]],
      [`${block}.mlp.fc1.weight`, [4 * width, width]],
      [`${block}.mlp.fc1.bias`, [4 * width]],
      [`${block}.mlp.fc2.weight`, [width, 4 * width]],
      [`${block}.mlp.fc2.bias`, [width]],
    );
  }
  shapes.push(['norm.weight', [width]], ['norm.bias', [width]]);
  shapes.push(['head.weight', [1000, width]], ['head.bias', [1000]]);
  return shapes;
}

/** An all-zero F32 ViT-B state dict; `fillVitBase` gives it values. */
export function emptyVitBase(): StateDict {
  const stateDict: StateDict = new Map();
  for (const [name, shape] of vitBaseShapes()) {
    const size = shape.reduce((a, b) => a * b, 1);
    stateDict.set(name, { dtype: 'F32', shape, data: new Float32Array(size) } satisfies TensorData);
  }
  return stateDict;
}

/**
 * Overwrites a ViT-B state dict with seeded values uniform around plausible centres (norm
 * weights around 1, everything else around 0). Refilling one state dict in place lets the
 * benchmark walk a zoo while holding one model, so peak RSS measures the tokenizer, not the
 * garbage collector's timing. Uniform rather than Gaussian noise keeps this fast.
 */
export function fillVitBase(stateDict: StateDict, seed: number): StateDict {
  const random = seededRandom(seed);
  for (const [name, tensor] of stateDict) {
    const data = tensor.data as Float32Array;
    const centre = /norm\d?\.weight$/.test(name) ? 1 : 0;
    const spread = name.endsWith('bias') ? 0.01 : 0.05;
    for (let i = 0; i < data.length; i++) data[i] = centre + spread * (random() - 0.5);
  }
  return stateDict;
}
