// Builds the server for production: src/main.ts with everything it imports, from the workspace and
// from npm, as one ES module, dist/main.js (and its source map). `pnpm start` runs it with plain
// node, so the running server holds no TypeScript loader: it starts in a third of the time and
// holds about 60 MB less (docs/architecture.md has the figures). Takes well under a second.
// `tsx scripts/bundle.ts <name>` writes dist/<name>.js instead: a test suite running beside another
// that builds dist/main.js gets a file of its own (still in dist/, which the bundle finds things from).
import path from 'node:path';
import { build } from 'esbuild';

const API_DIR = path.resolve(import.meta.dirname, '..');
const name = process.argv[2] ?? 'main';
if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bundle name must be lower-case letters, digits and -: ${name}`);

// Loaded from node_modules at run time instead: the SQLite addon (a compiled file found beside
// its package), pg's optional native driver (never installed), and pino with its pretty printer
// (pino's transports start worker threads from files of their own).
const EXTERNAL = ['better-sqlite3', 'pg-native', 'pino', 'pino-pretty'];

await build({
  entryPoints: [path.join(API_DIR, 'src/main.ts')],
  outfile: path.join(API_DIR, 'dist', `${name}.js`),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  // CommonJS packages inside an ES module call `require`: give them node's own.
  banner: {
    js:
      "import { createRequire as latchkeyCreateRequire } from 'node:module';\n" +
      'const require = latchkeyCreateRequire(import.meta.url);',
  },
  logLevel: 'warning',
});
