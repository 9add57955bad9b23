// The installed `latchkey` command: scripts/bundle.ts bundles this file into dist/latchkey.js, which
// bin/latchkey.js (package.json's `bin`) runs. The commands of `pnpm latchkey` (main.ts), named as typed.
import { runCli } from './run-cli';

const code = await runCli(
  process.argv.slice(2),
  process.env,
  (line) => console.log(line),
  (line) => console.error(line),
  { usageName: 'latchkey' },
);
process.exit(code);
