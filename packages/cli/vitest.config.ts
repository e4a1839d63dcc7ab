import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time: every test spawns the binary, some copy 100,000 events, on 2 cores.
    fileParallelism: false,
  },
});
