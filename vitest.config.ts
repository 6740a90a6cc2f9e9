import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: keep worker count modest so child-process and
    // database suites do not starve each other.
    maxWorkers: 2,
  },
});
