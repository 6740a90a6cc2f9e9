import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: keep worker count modest so child-process and
    // database suites do not starve each other.
    maxWorkers: 2,
    // Loggers created in the test process (in-process Lambdas, enqueue called directly) print
    // WARN and ERROR only, as npm start's do; child processes get their own environment.
    env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
  },
});
