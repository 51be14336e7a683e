import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { findBackend, registerBackend, removeBackend, setBackend } from '@tensorflow/tfjs-core';
import { type BackendInfo, BackendUnavailableError } from '../backend-info';
import { adapterLabel, describeAdapter } from './adapter-description';
import { findGpuProvider, type GpuDeviceLike, type GpuLike } from './gpu-provider';

export interface StartWebgpuOptions {
  /** Accept a software adapter such as lavapipe (only when webgpu was asked for by name). */
  allowSoftware: boolean;
}

let activeDevice: GpuDeviceLike | undefined;

/**
 * Registers and starts tfjs's `webgpu` backend on an adapter pgen picked itself, so that a
 * software adapter is never chosen silently.
 */
export async function startWebgpuBackend(options: StartWebgpuOptions): Promise<BackendInfo> {
  let provider: Awaited<ReturnType<typeof findGpuProvider>>;
  try {
    provider = await findGpuProvider();
  } catch (error) {
    throw new BackendUnavailableError('webgpu', (error as Error).message);
  }
  const adapter = await provider.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) {
    throw new BackendUnavailableError(
      'webgpu',
      `${provider.source} found no adapter (no Vulkan/Metal/D3D12 driver; on Linux without a GPU, Mesa's lavapipe provides a software one)`,
    );
  }
  const description = describeAdapter(adapter);
  if (description.software && !options.allowSoftware) {
    throw new BackendUnavailableError(
      'webgpu',
      `only a software adapter (${adapterLabel(description)}) is present; ask for webgpu by name to use it`,
    );
  }
  // The same request tfjs-webgpu's own factory makes: its shaders assume these limits.
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const limitNames = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
  ];
  const requiredLimits = Object.fromEntries(limitNames.map((n) => [n, adapter.limits[n]]));
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });

  if (findBackend('webgpu') != null) removeBackend('webgpu');
  registerBackend(
    'webgpu',
    () =>
      withNavigatorGpu(
        provider.gpu,
        () => new WebGPUBackend(device as never, adapter.info as never),
      ),
    3,
  );
  if (!(await setBackend('webgpu'))) {
    device.destroy();
    throw new BackendUnavailableError('webgpu', 'tfjs could not start the webgpu backend');
  }
  activeDevice = device;
  return {
    name: 'webgpu',
    tfjsBackend: 'webgpu',
    device: adapterLabel(description),
    software: description.software,
    details: {
      source: provider.source,
      vendor: description.vendor,
      architecture: description.architecture,
    },
  };
}

/** Removes the webgpu backend and destroys its device, so that Node's event loop can end. */
export function stopWebgpuBackend(): void {
  if (findBackend('webgpu') != null) removeBackend('webgpu');
  activeDevice?.destroy();
  activeDevice = undefined;
}

/**
 * tfjs-webgpu's constructor checks `navigator.gpu`. Node 20 has no `navigator`, and a global
 * one left behind keeps Dawn's instance reachable (Node then never exits), so it is set only
 * for the duration of the call.
 */
function withNavigatorGpu<T>(gpu: GpuLike, make: () => T): T {
  const g = globalThis as { navigator?: unknown };
  const existing = Object.getOwnPropertyDescriptor(g, 'navigator');
  const current = g.navigator as { gpu?: unknown } | undefined;
  if (current?.gpu) return make();
  Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    return make();
  } finally {
    if (existing) Object.defineProperty(g, 'navigator', existing);
    else delete g.navigator;
  }
}
