import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line total that `pnpm test` prints at the end.
    reporters: ['default', ['json', { outputFile: '../../.test-results/lib.json' }]],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
