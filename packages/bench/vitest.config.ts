import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The end-to-end test evaluates models on the global tfjs backend, so files run in
    // separate processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
