import { findBackend, type KernelBackend, setBackend } from '@tensorflow/tfjs-core';
import { type BackendInfo, type BackendName, BackendUnavailableError } from './backend-info';
import { describeHostCpu } from './host-cpu';
import { startTensorflowBackend } from './start-tensorflow-backend';
import { type StartWasmOptions, startWasmBackend } from './start-wasm-backend';
import { startWebgpuBackend, stopWebgpuBackend } from './webgpu/start-webgpu-backend';

export interface InitBackendOptions extends StartWasmOptions {
  /**
   * Which backend to use. `auto` (the default) takes the first that works of: tfjs-node-gpu /
   * tfjs-node, WebGPU on a hardware adapter, wasm, cpu. A software WebGPU adapter (lavapipe) is
   * used only when `webgpu` is named.
   */
  prefer?: 'auto' | BackendName;
  /** Called with a line for each backend `auto` skipped, and why. */
  onSkip?: (backend: BackendName, reason: string) => void;
}

/** The order `auto` tries. */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

let current: BackendInfo | undefined;

/**
 * Picks, starts and selects a tfjs backend, and returns what it chose. Gradients, chained ops
 * and pgen's extra wasm kernels are registered on import of this package.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  if (prefer !== 'auto') return switchTo(await start(prefer, options, true));
  for (const name of AUTO_ORDER) {
    try {
      return switchTo(await start(name, options, false));
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      options.onSkip?.(name, error.reason);
    }
  }
  throw new Error('no tfjs backend could be started (not even cpu)');
}

/** The backend `initBackend` chose last, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Releases what `initBackend` holds beyond plain memory: the WebGPU device (whose Dawn
 * instance would otherwise keep Node running). Call once at the end of a program that used
 * webgpu; harmless otherwise.
 */
export async function releaseBackend(): Promise<void> {
  if (current?.name === 'webgpu') {
    if (findBackend('cpu') != null) await setBackend('cpu');
    current = undefined;
  }
  stopWebgpuBackend();
}

function switchTo(info: BackendInfo): BackendInfo {
  if (current?.name === 'webgpu' && info.name !== 'webgpu') stopWebgpuBackend();
  current = info;
  return info;
}

async function start(
  name: BackendName,
  options: InitBackendOptions,
  byName: boolean,
): Promise<BackendInfo> {
  silenceNodeBanner();
  switch (name) {
    case 'tensorflow':
      return startTensorflowBackend();
    case 'webgpu':
      return startWebgpuBackend({ allowSoftware: byName });
    case 'wasm':
      return startWasmBackend(options);
    case 'cpu': {
      if (!(await setBackend('cpu'))) throw new BackendUnavailableError('cpu', 'failed to start');
      return {
        name: 'cpu',
        tfjsBackend: 'cpu',
        device: await describeHostCpu(),
        software: false,
        details: { implementation: 'tfjs-backend-cpu (plain JavaScript)' },
      };
    }
    default:
      throw new BackendUnavailableError(name, `unknown backend name "${String(name)}"`);
  }
}

/**
 * tfjs-backend-cpu prints a multi-line advert for tfjs-node on its first use in Node. pgen
 * reports its backend choice itself, so the advert is suppressed.
 */
function silenceNodeBanner(): void {
  const cpu = findBackend('cpu') as (KernelBackend & { firstUse?: boolean }) | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}
