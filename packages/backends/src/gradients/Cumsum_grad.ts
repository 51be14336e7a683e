import {
  Cumsum,
  type CumsumAttrs,
  cumsum,
  type GradConfig,
  type Tensor,
} from '@tensorflow/tfjs-core';

/**
 * tfjs-core 4.22's Cumsum gradient transposes its result as if the kernel had been run on a
 * permuted input, so for any axis but the last it returns a wrongly shaped gradient and
 * training throws. The kernel works on the original layout; the gradient of an (exclusive)
 * cumulative sum is the (exclusive) cumulative sum of dy in the other direction, same axis.
 */
export const cumsumGradConfig: GradConfig = {
  kernelName: Cumsum,
  inputsToSave: ['x'],
  gradFunc: (dy, _saved, attrs) => {
    const { axis, exclusive, reverse } = attrs as unknown as CumsumAttrs;
    return { x: () => cumsum(dy as Tensor, axis, exclusive, !reverse) };
  },
};
