import { ZooError } from '../errors';
import type { ClassifierModel } from '../models/classifier-model';

/**
 * p-diff's default: the tensors it keeps training and generates. For the ResNet that is the
 * last BatchNorm of the main path (`layer3.0.bn2` by default) as in the p-diff paper; the MLP
 * and the ViT have no BatchNorm, so their last layer (`fc2`) and final LayerNorm (`norm`) stand
 * in for it.
 */
export function defaultPdiffPrefixes(model: ClassifierModel): string[] {
  switch (model.arch) {
    case 'mlp':
      return ['fc2'];
    case 'vit':
      return ['norm'];
    case 'resnet': {
      const bn = model
        .namedModules()
        .map(([name]) => name)
        .filter((name) => /^layer\d+\.\d+\.bn2$/.test(name));
      return [bn.at(-1)!];
    }
  }
}

/**
 * A trainable-parameter filter from module-name prefixes (`layer3.0.bn2` selects its weight
 * and bias); a prefix matching no parameter is a `ZooError`.
 */
export function selectByPrefixes(
  model: ClassifierModel,
  prefixes: string[],
): (name: string) => boolean {
  const matches = (name: string, prefix: string) =>
    name === prefix || name.startsWith(`${prefix}.`);
  const names = model.namedParameters().map(([n]) => n);
  for (const prefix of prefixes) {
    if (!names.some((n) => matches(n, prefix))) {
      throw new ZooError(
        `no ${model.arch} parameter is named "${prefix}" or starts with "${prefix}."`,
      );
    }
  }
  return (name) => prefixes.some((p) => matches(name, p));
}
