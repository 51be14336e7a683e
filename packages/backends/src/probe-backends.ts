import { type BackendInfo, type BackendName, BackendUnavailableError } from './backend-info';
import { checkBackendHealth, type HealthCheckResult } from './health-check';
import { AUTO_ORDER, type InitBackendOptions, initBackend, releaseBackend } from './init-backend';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Set when available. */
  info?: BackendInfo;
  health?: HealthCheckResult;
  /** Why it is not available. */
  reason?: string;
}

export interface ProbeReport {
  /** What `initBackend({ prefer: 'auto' })` picks on this machine. */
  auto: BackendName;
  backends: BackendProbe[];
}

/**
 * Starts every backend in turn (by name, so a software WebGPU adapter is included and marked)
 * and runs the health check on each. Leaves the cpu backend selected and WebGPU released.
 */
export async function probeBackends(
  options: Omit<InitBackendOptions, 'prefer'> = {},
): Promise<ProbeReport> {
  const auto = (await initBackend({ ...options, prefer: 'auto' })).name;
  const backends: BackendProbe[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await initBackend({ ...options, prefer: name });
      const health = await checkBackendHealth();
      backends.push({ name, available: true, info, health });
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      backends.push({ name, available: false, reason: error.reason });
    }
  }
  await releaseBackend();
  await initBackend({ ...options, prefer: 'cpu' });
  return { auto, backends };
}
