// Side-effect module: corrections to tfjs-backend-webgpu's kernels. Importing the backend
// first registers its own kernels, which these wrap.
import '@tensorflow/tfjs-backend-webgpu';
import { AddN, Cumsum } from '@tensorflow/tfjs-core';
import { overrideKernel } from '../kernels/override-kernel';
import { withBoundedAddN } from './kernels/AddN';
import { withForwardOnlyCumsum } from './kernels/Cumsum';

/** Kernels pgen wraps on webgpu to work around upstream bugs. */
export const PATCHED_WEBGPU_KERNELS: readonly string[] = [AddN, Cumsum];

overrideKernel(AddN, 'webgpu', withBoundedAddN);
overrideKernel(Cumsum, 'webgpu', withForwardOnlyCumsum);
