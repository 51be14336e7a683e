import { findBackend, setBackend } from '@tensorflow/tfjs-core';
import { type BackendInfo, BackendUnavailableError } from './backend-info';

/** tfjs-node packages, best first. Neither is a dependency: users install one if they can. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Starts the native TensorFlow backend when @tensorflow/tfjs-node(-gpu) is installed and its
 * libtensorflow loads.
 */
export async function startTensorflowBackend(): Promise<BackendInfo> {
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      await import(/* webpackIgnore: true */ /* @vite-ignore */ pkg);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? '';
      reasons.push(
        /Cannot find (module|package)/.test(message)
          ? `${pkg} is not installed`
          : `${pkg}: ${message}`,
      );
      continue;
    }
    if (findBackend('tensorflow') != null && (await setBackend('tensorflow'))) {
      return {
        name: 'tensorflow',
        tfjsBackend: 'tensorflow',
        device: pkg.endsWith('-gpu') ? 'libtensorflow (CUDA)' : 'libtensorflow (CPU)',
        software: false,
        details: { package: pkg },
      };
    }
    reasons.push(`${pkg} loaded but registered no working tensorflow backend`);
  }
  throw new BackendUnavailableError('tensorflow', reasons.join('; '));
}
