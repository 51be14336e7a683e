import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { env, setBackend } from '@tensorflow/tfjs-core';
import { type BackendInfo, BackendUnavailableError } from './backend-info';
import {
  ADDED_WASM_KERNELS,
  PATCHED_WASM_KERNELS,
  REPLACED_WASM_KERNELS,
} from './wasm/register-wasm-kernels';

export interface StartWasmOptions {
  /** Where the .wasm binaries are served from (browsers and bundlers); Node finds them itself. */
  wasmPaths?: string;
  /** XNNPACK thread count; threads need cross-origin isolation in browsers and are absent in Node. */
  threads?: number;
}

let configured = false;

export async function startWasmBackend(options: StartWasmOptions = {}): Promise<BackendInfo> {
  // Both settings only take effect before the wasm module is instantiated, which happens once.
  if (!configured) {
    if (options.wasmPaths) setWasmPaths(options.wasmPaths);
    if (options.threads) setThreadsCount(options.threads);
    configured = true;
  }
  let ok = false;
  try {
    ok = await setBackend('wasm');
  } catch (error) {
    throw new BackendUnavailableError('wasm', (error as Error).message);
  }
  if (!ok) throw new BackendUnavailableError('wasm', 'the WebAssembly module failed to start');
  const simd = (await env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const threads = (await env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  return {
    name: 'wasm',
    tfjsBackend: 'wasm',
    device: `WebAssembly${simd ? ' SIMD' : ''}, ${threads ? 'multi-threaded' : 'single-threaded'}`,
    software: false,
    details: {
      simd,
      threads,
      addedKernels: ADDED_WASM_KERNELS.join(' '),
      patchedKernels: PATCHED_WASM_KERNELS.join(' '),
      replacedKernels: REPLACED_WASM_KERNELS.join(' '),
    },
  };
}
