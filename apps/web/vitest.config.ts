import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line total that `pnpm test` prints at the end.
    reporters: ['default', ['json', { outputFile: '../../.test-results/web.json' }]],
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Each browser file starts its own server and Chromium; one at a time suits a 2-core machine.
    fileParallelism: false,
    testTimeout: 45_000,
    hookTimeout: 60_000,
  },
});
