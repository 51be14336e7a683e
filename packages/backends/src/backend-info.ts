/** Backends pgen can run on, by the name `initBackend({ prefer })` takes. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** What `initBackend` chose. */
export interface BackendInfo {
  /** pgen's name for the backend. */
  name: BackendName;
  /** The name tfjs knows it by (`tf.getBackend()`). */
  tfjsBackend: string;
  /** A human-readable description of the device: GPU adapter, wasm features, CPU model. */
  device: string;
  /** True when the device is a software emulation of a GPU (e.g. Mesa's lavapipe). */
  software: boolean;
  /** Extra facts worth printing (adapter vendor and architecture, wasm SIMD/threads, …). */
  details: Record<string, string | number | boolean>;
}

/** Thrown when a backend that was asked for by name cannot be started here. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(`backend ${backend} is not available: ${reason}`);
  }
}
