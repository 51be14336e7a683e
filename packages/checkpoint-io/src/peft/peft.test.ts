import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeftAdapterError } from '../errors';
import { readSafetensors } from '../safetensors/reader';
import type { TensorData } from '../state-dict';
import { makeTensor } from '../state-dict';
import { expectMatchesExpected } from '../test-support/expect-tensors';
import { expectedFor, FIXTURES, tempDir } from '../test-support/fixtures';
import { loraScaling, makeLoraConfig } from './lora-config';
import { mergeLoraAdapter } from './merge-lora';
import { loraModules, readPeftAdapter, writePeftAdapter } from './peft-adapter';

const ADAPTER = join(FIXTURES, 'peft_lora_gpt2');

describe('PEFT LoRA adapters', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('reads the adapter PEFT wrote', async () => {
    const adapter = await readPeftAdapter(ADAPTER);
    expect(adapter.config).toMatchObject({
      r: 2,
      loraAlpha: 16,
      fanInFanOut: true,
      useRslora: false,
      targetModules: ['c_attn'],
    });
    expectMatchesExpected(adapter.tensors, expectedFor('peft_lora_gpt2/adapter_model.safetensors'));
    expect(loraModules(adapter).map((m) => m.module)).toEqual([
      'transformer.h.0.attn.c_attn',
      'transformer.h.1.attn.c_attn',
    ]);
  });

  it('merges into the base weights as PEFT does (values computed with numpy)', async () => {
    const adapter = await readPeftAdapter(ADAPTER);
    const { tensors: base } = await readSafetensors(join(FIXTURES, 'gpt2_tiny_base.safetensors'));
    const merged = mergeLoraAdapter(base, adapter);
    const expected = [
      {
        sum: 1.2377568296425352,
        first: [0.0024207804817706347, 0.007397685665637255, -0.02492758445441723],
      },
      {
        sum: -4.699223362109478,
        first: [0.0370405912399292, 0.03989499807357788, -0.0022557019256055355],
      },
    ];
    for (const [layer, want] of expected.entries()) {
      const key = `transformer.h.${layer}.attn.c_attn.base_layer.weight`;
      const w = merged.get(key)!.data as Float32Array;
      expect(merged.get(key)!.shape).toEqual([64, 192]);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(want.sum, 4);
      expect(Array.from(w.subarray(0, 3))).toEqual(want.first.map(Math.fround));
      expect(base.get(key)!.data).not.toBe(w);
    }
    expect(merged.get('lm_head.weight')).toBe(base.get('lm_head.weight'));
  });

  it('uses alpha/r, alpha/√r with rsLoRA, and rank/alpha patterns', () => {
    expect(loraScaling(makeLoraConfig({ r: 4, loraAlpha: 8 }), 'x').scaling).toBe(2);
    expect(loraScaling(makeLoraConfig({ r: 4, loraAlpha: 8, useRslora: true }), 'x').scaling).toBe(
      4,
    );
    const config = makeLoraConfig({
      r: 4,
      loraAlpha: 8,
      rankPattern: { q_proj: 2 },
      alphaPattern: { 'layers.0.q_proj': 1 },
    });
    expect(loraScaling(config, 'model.layers.0.q_proj')).toEqual({
      rank: 2,
      alpha: 1,
      scaling: 0.5,
    });
    expect(loraScaling(config, 'model.layers.1.q_proj')).toEqual({ rank: 2, alpha: 8, scaling: 4 });
  });

  it('merges a plain linear adapter: W + (alpha/r)·B·A', () => {
    const base = new Map<string, TensorData>([
      ['lin.weight', makeTensor('F32', [2, 3], new Float32Array([1, 1, 1, 1, 1, 1]))],
    ]);
    const adapter = {
      config: makeLoraConfig({ r: 1, loraAlpha: 2 }),
      tensors: new Map<string, TensorData>([
        [
          'base_model.model.lin.lora_A.weight',
          makeTensor('F32', [1, 3], new Float32Array([1, 2, 3])),
        ],
        [
          'base_model.model.lin.lora_B.weight',
          makeTensor('F32', [2, 1], new Float32Array([1, -1])),
        ],
      ]),
    };
    expect(
      Array.from(mergeLoraAdapter(base, adapter).get('lin.weight')!.data as Float32Array),
    ).toEqual([3, 5, 7, -1, -3, -5]);
    expect(() => mergeLoraAdapter(new Map(), adapter)).toThrowError(PeftAdapterError);
  });

  it('writes an adapter folder that reads back identically', async () => {
    const adapter = await readPeftAdapter(ADAPTER);
    const out = join(dir, 'adapter');
    await writePeftAdapter(out, adapter);
    expect((await readdir(out)).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);
    const back = await readPeftAdapter(out);
    expect(back.tensors).toEqual(adapter.tensors);
    expect(back.config).toEqual({ ...adapter.config, raw: expect.any(Object) });
    expect((await readSafetensors(join(out, 'adapter_model.safetensors'))).metadata).toEqual({
      format: 'pt',
    });
    expect(JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 16,
    });
  });

  it('writes extra safetensors metadata next to format "pt", which it cannot override', async () => {
    const adapter = await readPeftAdapter(ADAPTER);
    const out = join(dir, 'tagged');
    await writePeftAdapter(out, adapter, {
      metadata: { 'pgen.task': 'rot-015', 'pgen.condition.angle': '15' },
    });
    expect((await readSafetensors(join(out, 'adapter_model.safetensors'))).metadata).toEqual({
      format: 'pt',
      'pgen.task': 'rot-015',
      'pgen.condition.angle': '15',
    });
    expect((await readPeftAdapter(out)).tensors).toEqual(adapter.tensors);
    await expect(
      writePeftAdapter(join(dir, 'bad'), adapter, { metadata: { format: 'np' } }),
    ).rejects.toThrow(/may not set "format"/);
  });

  it('refuses unpaired or mis-shaped LoRA tensors and bad configs', async () => {
    const config = makeLoraConfig({ r: 2 });
    const unpaired = {
      config,
      tensors: new Map<string, TensorData>([
        ['base_model.model.m.lora_A.weight', makeTensor('F32', [2, 3])],
      ]),
    };
    expect(() => loraModules(unpaired)).toThrow(/has lora_A but no lora_B/);
    const wrongRank = {
      config,
      tensors: new Map<string, TensorData>([
        ['base_model.model.m.lora_A.weight', makeTensor('F32', [3, 3])],
        ['base_model.model.m.lora_B.weight', makeTensor('F32', [4, 3])],
      ]),
    };
    expect(() => loraModules(wrongRank)).toThrow(/rank 2/);
    await writeFile(join(dir, 'adapter_config.json'), '{"peft_type":"LORA","r":0}');
    await expect(readPeftAdapter(dir)).rejects.toMatchObject({ rule: 'invalid-config' });
  });
});
