// Builds the server for production: src/main.ts with everything it imports, from the workspace and
// from npm, as one ES module, dist/main.js (and its source map). `pnpm start` runs it with plain
// node, so the running server holds no TypeScript loader: it starts in a third of the time and
// holds about 60 MB less (docs/architecture.md has the figures). Takes well under a second.
// `tsx scripts/bundle.ts <name>` writes dist/<name>.js instead: a test suite running beside another
// that builds dist/main.js gets a file of its own (still in dist/, which the bundle finds things from).
//
// It also builds the `latchkey` command (package.json's `bin`): src/cli/bin.ts as dist/latchkey.js,
// with what only a command's action needs (the library, the database drivers) split into chunks
// beside it that are loaded when a command runs, so `latchkey --help` loads none of them.
// `tsx scripts/bundle.ts --cli` builds only the command.
import fs from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const API_DIR = path.resolve(import.meta.dirname, '..');
const DIST = path.join(API_DIR, 'dist');
const argument = process.argv[2];
const cliOnly = argument === '--cli';
const name = cliOnly ? 'main' : (argument ?? 'main');
if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bundle name must be lower-case letters, digits and -: ${name}`);

// Loaded from node_modules at run time instead: the SQLite addon (a compiled file found beside
// its package), pg's optional native driver (never installed), and pino with its pretty printer
// (pino's transports start worker threads from files of their own).
const EXTERNAL = ['better-sqlite3', 'pg-native', 'pino', 'pino-pretty'];

const COMMON: BuildOptions = {
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
};

/** The command's name in dist/, and the prefix of its chunks (kept beside it: see src/project-root.ts). */
const CLI_NAME = 'latchkey';

if (!cliOnly) {
  await build({
    ...COMMON,
    entryPoints: [path.join(API_DIR, 'src/main.ts')],
    outfile: path.join(DIST, `${name}.js`),
  });
}
if (cliOnly || argument === undefined) {
  const result = await build({
    ...COMMON,
    entryPoints: { [CLI_NAME]: path.join(API_DIR, 'src/cli/bin.ts') },
    outdir: DIST,
    splitting: true,
    chunkNames: `${CLI_NAME}-[hash]`,
    // A CommonJS package that becomes a chunk of its own exports only `default` (esbuild cannot name
    // its exports), so `const { dictionary } = await import(…)` would find nothing: take the ES module
    // builds that packages without an `exports` map offer (zxcvbn's word lists do) first.
    mainFields: ['module', 'main'],
    metafile: true,
    write: false,
  });
  // Each file is written whole and renamed into place, and only chunks of other builds are removed:
  // a `latchkey` running while the command is built again (a test beside `pnpm start`) never reads
  // a half-written or vanished chunk.
  fs.mkdirSync(DIST, { recursive: true });
  const written = new Set<string>();
  const writeWhole = (file: string, contents: string | Uint8Array) => {
    fs.writeFileSync(`${file}.${process.pid}.tmp`, contents);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
    written.add(path.basename(file));
  };
  for (const file of result.outputFiles) writeWhole(file.path, file.contents);
  // What the command loads before any action runs, for the test that keeps `--help` light.
  writeWhole(path.join(DIST, `${CLI_NAME}.meta.json`), JSON.stringify(result.metafile));
  for (const file of fs.readdirSync(DIST)) {
    if (file.startsWith(`${CLI_NAME}-`) && !written.has(file)) fs.rmSync(path.join(DIST, file), { force: true });
  }
}
