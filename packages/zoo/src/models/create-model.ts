import { Rng } from '@pgen/nn';
import { ZooError } from '../errors';
import { ARCH_NAMES, type ArchName, type ClassifierModel } from './classifier-model';
import { type MlpOptions, MnistMlp } from './mlp';
import { MnistResNet, type ResNetOptions } from './resnet';
import { MnistVit, type VitOptions } from './vit';

export interface CreateModelOptions {
  /** Seed of the initialisation (default 0): the same seed gives the same weights. */
  seed?: number;
  /** Outputs (default 10; 2 for a binary task). */
  numClasses?: number;
  /** Architecture-specific sizes; defaults are the zoo's (see each class). */
  mlp?: Omit<MlpOptions, 'rng' | 'numClasses'>;
  resnet?: Omit<ResNetOptions, 'rng' | 'numClasses'>;
  vit?: Omit<VitOptions, 'rng' | 'numClasses'>;
}

/** Checks an architecture name from user input. */
export function assertArchName(arch: string): asserts arch is ArchName {
  if (!(ARCH_NAMES as readonly string[]).includes(arch)) {
    throw new ZooError(`unknown architecture "${arch}" (expected one of ${ARCH_NAMES.join(', ')})`);
  }
}

/** A freshly initialised classifier of the given architecture, in training mode. */
export function createModel(arch: ArchName, options: CreateModelOptions = {}): ClassifierModel {
  assertArchName(arch);
  const rng = new Rng(options.seed ?? 0);
  const numClasses = options.numClasses ?? 10;
  switch (arch) {
    case 'mlp':
      return new MnistMlp({ ...options.mlp, numClasses, rng });
    case 'resnet':
      return new MnistResNet({ ...options.resnet, numClasses, rng });
    case 'vit':
      return new MnistVit({ ...options.vit, numClasses, rng });
  }
}
