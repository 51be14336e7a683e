import { nearestNeighbourRatio } from './nearest-neighbour';
import { maxIouWithZoo, meanIouBetween, meanIouWithin } from './pairwise-iou';
import type { WrongSet } from './wrong-set';

/** The similarity of a generated set to the zoo, as in the report's `similarity` object. */
export interface SimilarityMetrics {
  /** Mean IoU of wrong sets over pairs of distinct zoo models. */
  iou_oo: number;
  /** Mean IoU over pairs of distinct generated models. */
  iou_gg: number;
  /** Mean IoU over (zoo, generated) pairs. */
  iou_og: number;
  /** Mean over generated models of each one's highest IoU with the zoo. */
  iou_og_max_mean: number;
  /** Mean over generated models of nearest-zoo distance ÷ the zoo's median NN distance. */
  nn_distance_ratio_mean: number;
}

/** Per-model similarity values behind `SimilarityMetrics`, in the generated set's order. */
export interface SimilarityDetails {
  metrics: SimilarityMetrics;
  maxIou: number[];
  nnDistance: number[];
  nnRatio: number[];
}

/** What `similarityMetrics` compares: wrong sets and normalised parameter vectors of both. */
export interface SimilarityInputs {
  zooWrong: readonly WrongSet[];
  generatedWrong: readonly WrongSet[];
  zooVectors: readonly Float32Array[];
  generatedVectors: readonly Float32Array[];
  /** Each zoo vector's nearest other zoo vector, computed once for all generated sets. */
  zooNearestDistances: readonly number[];
}

/** Every similarity metric of a generated set (or a noise baseline) against the zoo. */
export function similarityMetrics(inputs: SimilarityInputs): SimilarityDetails {
  const maxIou = maxIouWithZoo(inputs.generatedWrong, inputs.zooWrong);
  const nn = nearestNeighbourRatio(
    inputs.generatedVectors,
    inputs.zooVectors,
    inputs.zooNearestDistances,
  );
  return {
    metrics: {
      iou_oo: meanIouWithin(inputs.zooWrong),
      iou_gg: meanIouWithin(inputs.generatedWrong),
      iou_og: meanIouBetween(inputs.zooWrong, inputs.generatedWrong),
      iou_og_max_mean: mean(maxIou),
      nn_distance_ratio_mean: mean(nn.ratios),
    },
    maxIou,
    nnDistance: nn.distances,
    nnRatio: nn.ratios,
  };
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
