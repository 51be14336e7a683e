import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@pgen/checkpoint-io',
    include: ['src/**/*.test.ts'],
  },
});
