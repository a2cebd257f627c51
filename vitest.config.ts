import { defineConfig } from 'vitest/config';

// Native addons and worker threads don't mix well: run every test file in a forked process.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
