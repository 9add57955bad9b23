#!/usr/bin/env node
// The `latchkey` command (package.json's `bin`): runs the bundle that `pnpm --filter @latchkey/api build`
// writes to dist/latchkey.js. This small file is in the repository, so installing links a command
// that exists, and a command run before the build says what to do instead of a module error.
const BUNDLE = new URL('../dist/latchkey.js', import.meta.url);

try {
  await import(BUNDLE.href);
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || error?.url !== BUNDLE.href) throw error;
  console.error('latchkey: the command is not built yet; run `npx -y pnpm@10 --filter @latchkey/api build` first');
  process.exit(1);
}
