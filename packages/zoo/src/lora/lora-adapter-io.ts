import {
  type LoraConfig,
  loraModules,
  loraScaling,
  makeLoraConfig,
  type PeftAdapter,
  type StateDict,
} from '@pgen/checkpoint-io';
import { type Module, tensorDataToTensor, tensorToTensorData } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ZooError } from '../errors';
import { loraLayers } from './attach-lora';

/** PEFT's prefix of saved adapter keys: `base_model.model.<module>.lora_A.weight`. */
export const PEFT_KEY_PREFIX = 'base_model.model.';

/**
 * The model's LoRA adapters as a PEFT adapter: tensors `base_model.model.<module>.lora_A.weight`
 * [r, in] and `.lora_B.weight` [out, r] (F32), config from `makeLoraConfig` with the adapters'
 * rank and alpha and, as `target_modules`, the last name component of the adapted modules
 * (`['qkv', 'proj']` for the ViT's attention). `writePeftAdapter` saves it as a folder
 * `PeftModel.from_pretrained` loads. All adapters must share one rank and alpha.
 */
export async function exportLoraAdapter(model: Module): Promise<PeftAdapter> {
  const layers = loraLayers(model);
  if (layers.length === 0) throw new ZooError('exportLoraAdapter: the model has no LoRA adapters');
  const first = layers[0]![1].loraShape!;
  const tensors: StateDict = new Map();
  const targets: string[] = [];
  for (const [name, layer] of layers) {
    const shape = layer.loraShape!;
    if (shape.rank !== first.rank || shape.alpha !== first.alpha) {
      throw new ZooError(
        `exportLoraAdapter: "${name}" has rank ${shape.rank} / alpha ${shape.alpha}, unlike the first adapter's ${first.rank} / ${first.alpha}`,
      );
    }
    tensors.set(
      `${PEFT_KEY_PREFIX}${name}.lora_A.weight`,
      await tensorToTensorData(layer.loraA!, 'F32'),
    );
    tensors.set(
      `${PEFT_KEY_PREFIX}${name}.lora_B.weight`,
      await tensorToTensorData(layer.loraB!, 'F32'),
    );
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (!targets.includes(last)) targets.push(last);
  }
  const config: LoraConfig = makeLoraConfig({
    r: first.rank,
    loraAlpha: first.alpha,
    targetModules: targets,
  });
  return { config, tensors };
}

/**
 * Copies a PEFT adapter's A and B into the model's LoRA adapters (added with `attachLora`) and
 * takes its alpha. The adapter must cover exactly the model's adapted modules with their rank;
 * rsLoRA and fan-in-fan-out adapters are refused. `source` names the adapter in errors.
 */
export function loadLoraAdapter(model: Module, adapter: PeftAdapter, source = '<adapter>'): void {
  const fail = (why: string): never => {
    throw new ZooError(`${source}: ${why}`);
  };
  if (adapter.config.useRslora) fail('rsLoRA adapters are not supported');
  if (adapter.config.fanInFanOut) fail('fan_in_fan_out adapters do not fit Linear layers');
  const layers = new Map(loraLayers(model));
  if (layers.size === 0) fail('the model has no LoRA adapters to load into (call attachLora)');
  let modules: ReturnType<typeof loraModules>;
  try {
    modules = loraModules(adapter, source);
  } catch (error) {
    throw new ZooError((error as Error).message, { cause: error });
  }
  const given = new Set(modules.map((m) => m.module));
  const missing = [...layers.keys()].filter((name) => !given.has(name));
  const unexpected = [...given].filter((name) => !layers.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    fail(
      `adapter modules do not match the model's LoRA layers (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`,
    );
  }
  const staged: [tf.Variable, tf.Tensor][] = [];
  const alphas = new Map<string, number>();
  try {
    for (const { module, a, b, embedding } of modules) {
      const layer = layers.get(module)!;
      if (embedding) fail(`"${module}" is an embedding adapter`);
      const { rank } = layer.loraShape!;
      const wantA = [rank, layer.inFeatures];
      const wantB = [layer.outFeatures, rank];
      if (a.shape.join() !== wantA.join() || b.shape.join() !== wantB.join()) {
        fail(
          `"${module}": lora_A [${a.shape.join(', ')}] / lora_B [${b.shape.join(', ')}] do not fit the layer's [${wantA.join(', ')}] / [${wantB.join(', ')}]`,
        );
      }
      for (const [data, target, part] of [
        [a, layer.loraA!, 'lora_A'],
        [b, layer.loraB!, 'lora_B'],
      ] as const) {
        const tensor = tensorDataToTensor(data, 'F32');
        if (typeof tensor === 'string') fail(`"${module}.${part}": ${tensor}`);
        staged.push([target, tensor as tf.Tensor]);
      }
      alphas.set(module, loraScaling(adapter.config, module).alpha);
    }
  } catch (error) {
    tf.dispose(staged.map(([, t]) => t));
    throw error;
  }
  for (const [target, value] of staged) {
    target.assign(value);
    value.dispose();
  }
  for (const [module, alpha] of alphas) layers.get(module)!.setLoraAlpha(alpha);
}
