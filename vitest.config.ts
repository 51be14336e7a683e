import { defineConfig } from 'vitest/config';

/** The whole suite: every package's own vitest config, run as one project each. */
export default defineConfig({
  test: {
    projects: ['packages/*'],
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
  },
});
