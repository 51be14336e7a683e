import { type Module, Rng } from '@pgen/nn';
import { ZooError } from '../errors';
import { LoraLinear } from './lora-linear';

/** Options of `attachLora`, with PEFT's defaults for this project's LoRA zoo. */
export interface AttachLoraOptions {
  /** Rank r (default 4). */
  rank?: number;
  /** lora_alpha (default 8): the update is scaled by alpha / r, 2 with the defaults. */
  alpha?: number;
  /**
   * Module names to adapt, matched as PEFT matches a list: a module whose dotted name equals an
   * entry or ends with `.<entry>` (default `['qkv', 'proj']`: the ViT's attention).
   */
  targetModules?: string[];
  /** Seed of the A matrices' initialisation (default 0). */
  seed?: number;
}

/** What `attachLora` did. */
export interface LoraAttachment {
  /** Dotted names of the adapted layers, in model order (`blocks.0.attn.qkv`, …). */
  modules: string[];
  rank: number;
  alpha: number;
  targetModules: string[];
}

/** True for a module name PEFT's list form of `target_modules` selects. */
export function matchesTargetModule(name: string, targets: readonly string[]): boolean {
  return targets.some((t) => name === t || name.endsWith(`.${t}`));
}

/** True for the parameters of LoRA adapters: the only ones to train with a frozen base. */
export function isLoraParameter(name: string): boolean {
  return /(^|\.)lora_[AB]\.weight$/.test(name);
}

/** The model's layers that carry a LoRA adapter, with their dotted names, in model order. */
export function loraLayers(model: Module): [string, LoraLinear][] {
  return model
    .namedModules()
    .filter((entry): entry is [string, LoraLinear] => entry[1] instanceof LoraLinear)
    .filter(([, layer]) => layer.loraShape !== undefined);
}

/**
 * Gives every `LoraLinear` of `model` whose name matches `targetModules` a fresh LoRA adapter
 * (A as PEFT initialises it from `seed`, B zero, so the model's output does not change). On an
 * `MnistVit` the defaults adapt `blocks.<i>.attn.qkv` and `blocks.<i>.attn.proj`; the
 * patch-embedding convolution `patch_embed.proj` also ends in `proj` but is not a Linear, so it is
 * left alone (PEFT would give it a LoRA conv). Fails when a matched Linear cannot take an
 * adapter, when nothing matches, or when the model already has adapters.
 */
export function attachLora(model: Module, options: AttachLoraOptions = {}): LoraAttachment {
  const rank = options.rank ?? 4;
  const alpha = options.alpha ?? 8;
  const targetModules = options.targetModules ?? ['qkv', 'proj'];
  if (targetModules.length === 0) throw new ZooError('attachLora: targetModules is empty');
  if (loraLayers(model).length > 0) {
    throw new ZooError('attachLora: the model already has LoRA adapters (use resetLora)');
  }
  const matched = model
    .namedModules()
    .filter(([name]) => name !== '' && matchesTargetModule(name, targetModules));
  const layers: [string, LoraLinear][] = [];
  for (const [name, module] of matched) {
    if (module instanceof LoraLinear) layers.push([name, module]);
    else if (module.constructor.name === 'Linear') {
      throw new ZooError(
        `attachLora: "${name}" is a plain Linear; build it as a LoraLinear to adapt it`,
      );
    }
  }
  if (layers.length === 0) {
    throw new ZooError(
      `attachLora: no Linear layer of the model matches targetModules ${JSON.stringify(targetModules)}`,
    );
  }
  const rng = new Rng(options.seed ?? 0);
  for (const [, layer] of layers) layer.addLora({ rank, alpha }, rng);
  return { modules: layers.map(([name]) => name), rank, alpha, targetModules: [...targetModules] };
}

/**
 * Re-initialises every adapter of `model` as a fresh `attachLora` with this seed would (A from
 * PEFT's init, B zero), so one model serves task after task.
 */
export function resetLora(model: Module, seed = 0): void {
  const layers = loraLayers(model);
  if (layers.length === 0) throw new ZooError('resetLora: the model has no LoRA adapters');
  const rng = new Rng(seed);
  for (const [, layer] of layers) layer.resetLora(rng);
}
