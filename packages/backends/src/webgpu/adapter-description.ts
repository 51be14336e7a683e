import type { GpuAdapterLike } from './gpu-provider';

/** What pgen reports about a WebGPU adapter. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU emulation (lavapipe/llvmpipe, SwiftShader, WARP) rather than a GPU. */
  software: boolean;
}

const SOFTWARE_HINTS = /llvmpipe|lavapipe|swiftshader|software|warp/i;

export function describeAdapter(adapter: GpuAdapterLike): AdapterDescription {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const software =
    fallback || SOFTWARE_HINTS.test(architecture) || SOFTWARE_HINTS.test(description);
  return { vendor, architecture, device, description, software };
}

export function adapterLabel(d: AdapterDescription): string {
  const name = d.description || [d.vendor, d.architecture, d.device].filter(Boolean).join(' ');
  return name || 'unknown adapter';
}
