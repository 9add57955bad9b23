import { defineConfig } from 'vite';

export default defineConfig({
  // Vite 8 transforms TSX with oxc; the automatic runtime needs no `import React`.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  server: {
    // `pnpm dev` in apps/api serves the API on :3000; the UI calls it same-origin through this proxy.
    proxy: { '/api': 'http://localhost:3000' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps: they would hand the UI's sources to anyone, and the server serves none (docs/api.md).
    sourcemap: false,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React Query marks its files "use client" for server components; meaningless in a SPA bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
