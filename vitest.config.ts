import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'app/**/*.test.ts',
      'examples/**/*.test.ts',
      'harness/**/*.test.ts',
      'alerts/**/*.test.ts',
      'alertmanager/**/*.test.ts',
      'slo/**/*.test.ts',
      'dashboards/**/*.test.ts',
      'observability/**/*.test.ts',
      'compose/**/*.test.ts',
      'runbooks/**/*.test.ts',
      'docs/**/*.test.ts',
      'deploy/**/*.test.ts',
    ],
    // Integration tests spawn real processes on a 2-core machine: one file at a time keeps timings honest.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
