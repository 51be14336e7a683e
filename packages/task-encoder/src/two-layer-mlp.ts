import { Linear, type Rng, Sequential, SiLU } from '@pgen/nn';

/**
 * Linear(in→hidden) → SiLU → Linear(hidden→out) as a Sequential, so its weights are named
 * `0.weight` and `2.weight` as PyTorch's `nn.Sequential(Linear, SiLU, Linear)` names them.
 */
export function twoLayerMlp(
  inFeatures: number,
  hidden: number,
  outFeatures: number,
  rng: Rng,
): Sequential {
  return new Sequential(
    new Linear(inFeatures, hidden, { rng }),
    new SiLU(),
    new Linear(hidden, outFeatures, { rng }),
  );
}
