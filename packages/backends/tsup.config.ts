import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // tfjs-core publishes its gradient and chained-op registrations only as extension-less ESM
  // files that Node cannot load directly; bundling them is how @tensorflow/tfjs itself ships
  // them. The copies share tfjs-core's global engine, kernel and gradient registries.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
});
