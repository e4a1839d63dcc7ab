import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores shared with other work: heavy files (1M rows, child processes) run two at a time at most.
    maxWorkers: 2,
  },
});
