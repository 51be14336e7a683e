import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from './create-model';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

type Table = [string, number[]][];

/**
 * torchvision `ResNet(BasicBlock, [1, 1, 1])` with widths 32-64-128, `conv1` replaced by
 * `nn.Conv2d(1, 32, 3, 1, 1, bias=False)`, no maxpool: the names and shapes below follow
 * torchvision/models/resnet.py (`_make_layer`: block 0 of layer2/3 has stride 2 and a
 * `downsample = Sequential(conv1x1, norm_layer)`; `fc = Linear(512·expansion → 128, classes)`).
 */
function torchvisionResNetTable(classes: number): Table {
  const bn = (p: string, c: number): Table => [
    [`${p}.weight`, [c]],
    [`${p}.bias`, [c]],
    [`${p}.running_mean`, [c]],
    [`${p}.running_var`, [c]],
    [`${p}.num_batches_tracked`, []],
  ];
  const table: Table = [['conv1.weight', [32, 1, 3, 3]], ...bn('bn1', 32)];
  let inC = 32;
  [32, 64, 128].forEach((c, i) => {
    const p = `layer${i + 1}.0`;
    table.push([`${p}.conv1.weight`, [c, inC, 3, 3]], ...bn(`${p}.bn1`, c));
    table.push([`${p}.conv2.weight`, [c, c, 3, 3]], ...bn(`${p}.bn2`, c));
    if (inC !== c)
      table.push([`${p}.downsample.0.weight`, [c, inC, 1, 1]], ...bn(`${p}.downsample.1`, c));
    inC = c;
  });
  table.push(['fc.weight', [classes, 128]], ['fc.bias', [classes]]);
  return table;
}

/**
 * timm `VisionTransformer(img_size=28, patch_size=7, in_chans=1, embed_dim=64, depth=4,
 * num_heads=4, mlp_ratio=2, num_classes=classes)`, from timm/models/vision_transformer.py.
 */
function timmVitTable(classes: number): Table {
  const d = 64;
  const table: Table = [
    ['cls_token', [1, 1, d]],
    ['pos_embed', [1, 17, d]],
    ['patch_embed.proj.weight', [d, 1, 7, 7]],
    ['patch_embed.proj.bias', [d]],
  ];
  for (let i = 0; i < 4; i++) {
    const p = `blocks.${i}`;
    table.push(
      [`${p}.norm1.weight`, [d]],
      [`${p}.norm1.bias`, [d]],
      [`${p}.attn.qkv.weight`, [3 * d, d]],
      [`${p}.attn.qkv.bias`, [3 * d]],
      [`${p}.attn.proj.weight`, [d, d]],
      [`${p}.attn.proj.bias`, [d]],
      [`${p}.norm2.weight`, [d]],
      [`${p}.norm2.bias`, [d]],
      [`${p}.mlp.fc1.weight`, [2 * d, d]],
      [`${p}.mlp.fc1.bias`, [2 * d]],
      [`${p}.mlp.fc2.weight`, [d, 2 * d]],
      [`${p}.mlp.fc2.bias`, [d]],
    );
  }
  table.push(['norm.weight', [d]], ['norm.bias', [d]]);
  table.push(['head.weight', [classes, d]], ['head.bias', [classes]]);
  return table;
}

const mlpTable = (classes: number): Table => [
  ['fc1.weight', [256, 784]],
  ['fc1.bias', [256]],
  ['fc2.weight', [classes, 256]],
  ['fc2.bias', [classes]],
];

describe('state dicts match their PyTorch counterparts', () => {
  const cases = [
    ['mlp', mlpTable],
    ['resnet', torchvisionResNetTable],
    ['vit', timmVitTable],
  ] as const;
  for (const [arch, table] of cases) {
    it(`${arch}: names (in PyTorch's order), shapes and dtypes`, async () => {
      for (const classes of [10, 2]) {
        const model = createModel(arch, { numClasses: classes });
        const sd = await model.stateDict();
        expect([...sd].map(([n, t]) => [n, t.shape])).toEqual(table(classes));
        for (const [name, t] of sd)
          expect(t.dtype).toBe(name.endsWith('num_batches_tracked') ? 'I64' : 'F32');
        model.dispose();
      }
    });
  }

  it('a state dict loads into a fresh model and reproduces its outputs', async () => {
    for (const arch of ['mlp', 'resnet', 'vit'] as const) {
      const a = createModel(arch, { seed: 1 }).eval();
      const b = createModel(arch, { seed: 2 }).eval();
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
      b.loadStateDict(await a.stateDict());
      const ya = a.forward(x);
      const yb = b.forward(x);
      expect(Array.from(await yb.data())).toEqual(Array.from(await ya.data()));
      expect(ya.shape).toEqual([2, 10]);
      tf.dispose([x, ya, yb]);
      a.dispose();
      b.dispose();
    }
  });

  it('seeds give reproducible, distinct initialisations', async () => {
    const w = async (seed: number) =>
      Array.from(
        (await createModel('resnet', { seed }).stateDict()).get('conv1.weight')!
          .data as Float32Array,
      );
    expect(await w(4)).toEqual(await w(4));
    expect(await w(4)).not.toEqual(await w(5));
  });
});
