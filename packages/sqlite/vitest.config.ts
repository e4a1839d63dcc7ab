import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: the heavy files (1M rows, child processes, worker threads) would
    // otherwise starve each other's main thread on a 2-core machine, and the
    // responsiveness test measures exactly that main thread.
    fileParallelism: false,
  },
});
