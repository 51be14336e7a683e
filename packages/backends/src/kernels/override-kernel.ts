import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

const ORIGINAL = Symbol.for('pgen.originalKernelFunc');

type MarkedKernelFunc = KernelFunc & { [ORIGINAL]?: KernelFunc };

/**
 * Replaces a kernel a tfjs backend already registers with one that wraps it, keeping the
 * original's setup function (wasm binds its C++ entry points there when the backend starts).
 * Idempotent: loading pgen twice (ESM and CJS copies) wraps the original only once.
 */
export function overrideKernel(
  kernelName: string,
  backendName: string,
  wrap: (original: KernelFunc) => KernelFunc,
): void {
  const current = getKernel(kernelName, backendName);
  if (current == null) {
    throw new Error(`cannot override ${backendName} kernel ${kernelName}: the backend has none`);
  }
  const original = (current.kernelFunc as MarkedKernelFunc)[ORIGINAL] ?? current.kernelFunc;
  const wrapped = wrap(original) as MarkedKernelFunc;
  wrapped[ORIGINAL] = original;
  const config: KernelConfig = { ...current, kernelFunc: wrapped };
  unregisterKernel(kernelName, backendName);
  registerKernel(config);
}

/** Registers a kernel a backend lacks; a no-op when one is already there. */
export function registerMissingKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

/** Registers `config` in place of the backend's own kernel of that name, if any. */
export function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) != null) {
    unregisterKernel(config.kernelName, config.backendName);
  }
  registerKernel(config);
}
