/**
 * The slice of the WebGPU API pgen touches, typed structurally so that neither pgen nor its
 * users need `@webgpu/types` installed.
 */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuDeviceLike {
  destroy(): void;
}
export interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: 'low-power' | 'high-performance';
    forceFallbackAdapter?: boolean;
  }): Promise<GpuAdapterLike | null>;
}

/** A WebGPU entry point: `navigator.gpu` in a browser, or Dawn's through the `webgpu` package in Node. */
export interface GpuProvider {
  gpu: GpuLike;
  source: 'navigator.gpu' | 'webgpu package (Dawn)';
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

let dawn: Promise<GpuProvider> | undefined;

/** What the `webgpu` npm package exports, as far as pgen uses it. */
export interface WebgpuModuleLike {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/**
 * Hands pgen an already imported `webgpu` module. Node looks the package up by name at run
 * time, which a bundled program (one file, no node_modules beside it) cannot do; such a
 * program imports `webgpu` statically and passes it here before `initBackend`.
 */
export function provideWebgpuModule(module: WebgpuModuleLike): void {
  dawn = Promise.resolve(providerFrom(module));
}

/** Finds a WebGPU implementation, or throws an Error saying why there is none. */
export async function findGpuProvider(): Promise<GpuProvider> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (!isNode()) {
    if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
    throw new Error('this browser exposes no navigator.gpu');
  }
  dawn ??= loadDawn();
  return dawn;
}

async function loadDawn(): Promise<GpuProvider> {
  // A variable specifier keeps browser bundlers from trying to resolve a Node addon.
  const specifier = 'webgpu';
  let module: WebgpuModuleLike;
  try {
    module = await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  } catch (error) {
    throw new Error(
      `the optional webgpu package did not load (${(error as Error).message.split('\n')[0]})`,
    );
  }
  return providerFrom(module);
}

function providerFrom(module: WebgpuModuleLike): GpuProvider {
  // tfjs-webgpu names the WebGPU enums (GPUBufferUsage, GPUMapMode, …) as globals.
  for (const [key, value] of Object.entries(module.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  return { gpu: module.create([]), source: 'webgpu package (Dawn)' };
}
