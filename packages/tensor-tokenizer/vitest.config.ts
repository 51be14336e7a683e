import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Fixture tests read real checkpoints; a slow CI disk should not fail them.
    testTimeout: 30_000,
  },
});
