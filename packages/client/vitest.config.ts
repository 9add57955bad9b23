import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line total that `pnpm test` prints at the end.
    reporters: ['default', ['json', { outputFile: '../../.test-results/client.json' }]],
    include: ['test/**/*.test.ts'],
    // The type tests (`*.test-d.ts`) run through tsc and count as tests like the others.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
