// Importing this package registers, as side effects: tfjs-core's gradients and chained ops,
// the cpu backend, the wasm kernels pgen adds (src/wasm/) and its kernel fixes (src/webgpu/,
// src/gradients/).
import './register-gradients';
import '@tensorflow/tfjs-backend-cpu';
import './wasm/register-wasm-kernels';
import './webgpu/register-webgpu-kernels';

export { type BackendInfo, type BackendName, BackendUnavailableError } from './backend-info';
export {
  checkBackendHealth,
  type HealthCheckOptions,
  type HealthCheckResult,
} from './health-check';
export {
  AUTO_ORDER,
  currentBackend,
  type InitBackendOptions,
  initBackend,
  releaseBackend,
} from './init-backend';
export { maxRelativeError } from './max-relative-error';
export { type BackendProbe, type ProbeReport, probeBackends } from './probe-backends';
export { seededRandom, uniformArray } from './seeded-random';
export {
  ADDED_WASM_KERNELS,
  PATCHED_WASM_KERNELS,
  REPLACED_WASM_KERNELS,
} from './wasm/register-wasm-kernels';
export { provideWebgpuModule, type WebgpuModuleLike } from './webgpu/gpu-provider';
export { PATCHED_WEBGPU_KERNELS } from './webgpu/register-webgpu-kernels';
