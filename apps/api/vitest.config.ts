import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line total that `pnpm test` prints at the end.
    reporters: ['default', ['json', { outputFile: '../../.test-results/api.json' }]],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Prints the reliability figures (requests fuzzed, kills survived…) once, after every suite.
    globalSetup: ['test/reliability/support/global-setup.ts'],
  },
});
