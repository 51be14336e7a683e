import { isNode } from './webgpu/gpu-provider';

/** The host's CPU model and core count, or a generic label in a browser. */
export async function describeHostCpu(): Promise<string> {
  if (!isNode()) {
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency;
    return cores ? `${cores} logical cores` : 'browser CPU';
  }
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} (${cpus.length} cores)`;
}
