import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file switches the global tfjs backend, so files run in separate processes.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
