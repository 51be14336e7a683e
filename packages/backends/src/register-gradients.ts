// Side-effect module: tfjs-core on its own registers no gradients and no chained ops
// (`tensor.add(...)`); training and user code need both.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { registerGradient } from '@tensorflow/tfjs-core';
import { cumsumGradConfig } from './gradients/Cumsum_grad';

// Corrections to tfjs-core's own gradients, registered after them so that they win.
registerGradient(cumsumGradConfig);
