// Peer benchmark: better-auth's api-key plugin, `auth.api.verifyApiKey` on one thread over a fresh
// SQLite file. Prints one JSON line to stdout ({"verifiesPerSecond": N, ...}); progress goes to stderr.
// Installed and run on its own (`npm ci` here, then `node verify-bench.mjs`): see README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import Database from 'better-sqlite3';

const USAGE = 'node verify-bench.mjs [--keys N] [--warmup SECONDS] [--seconds SECONDS] [--rounds N]';
const DEFAULTS = { keys: 1000, warmup: 1, seconds: 2, rounds: 3 };

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '');
    const raw = argv[i + 1];
    if (argv[i] === '--help') {
      console.error(USAGE);
      process.exit(0);
    }
    if (!name || !(name in DEFAULTS) || !argv[i].startsWith('--')) fail(`unknown option ${argv[i]}; usage: ${USAGE}`);
    const value = Number(raw);
    const whole = name === 'keys' || name === 'rounds';
    if (raw === undefined || !Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value)))
      fail(`--${name} needs a positive ${whole ? 'whole number' : 'number'}, got ${raw ?? 'nothing'}`);
    options[name] = value;
  }
  return options;
}

function fail(message) {
  console.error(`peer-better-auth: ${message}`);
  process.exit(2);
}

const log = (line) => console.error(`[peer-better-auth] ${line}`);

/** The installed version of a dependency (npm ci installs them flat under ./node_modules). */
function versionOf(name) {
  const file = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Verifies keys round-robin, one at a time, for `seconds` (and at least `minimum` verifies); every
 * answer must say valid.
 */
async function verifyFor(auth, keys, seconds, timings, minimum = 0) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let verifies = 0;
  let now = start;
  while (now < end || verifies < minimum) {
    const key = keys[verifies % keys.length];
    const before = now;
    const result = await auth.api.verifyApiKey({ body: { key } });
    now = performance.now();
    if (!result.valid) throw new Error(`verifyApiKey refused a key it issued: ${result.error?.code ?? 'no code'}`);
    timings?.push(now - before);
    verifies++;
  }
  const cpu = process.cpuUsage(cpuStart);
  const elapsed = (now - start) / 1000;
  return {
    verifiesPerSecond: verifies / elapsed,
    verifiesPerCpuSecond: verifies / ((cpu.user + cpu.system) / 1e6),
    verifies,
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-peer-better-auth-'));
  const file = path.join(dir, 'better-auth.sqlite');
  const sqlite = new Database(file);
  try {
    // The same settings Latchkey's own SQLite connection uses (packages/lib/src/db/create-database.ts).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');

    const authOptions = {
      database: sqlite,
      baseURL: 'http://127.0.0.1:3000',
      // A throwaway secret for this run's throwaway database; nothing it signs outlives the process.
      secret: `bench-only-${process.pid}-${Date.now()}-not-a-real-secret`,
      emailAndPassword: { enabled: true },
      rateLimit: { enabled: false },
      telemetry: { enabled: false },
      logger: {
        level: 'error',
        log: (level, message, ...args) => console.error(`[better-auth ${level}]`, message, ...args),
      },
      plugins: [apiKey({ rateLimit: { enabled: false } })],
    };
    const auth = betterAuth(authOptions);

    const { runMigrations, toBeCreated } = await getMigrations(authOptions);
    await runMigrations();
    log(`migrated a fresh SQLite file: ${toBeCreated.map((t) => t.table).join(', ')}`);

    const signUp = await auth.api.signUpEmail({
      body: { email: 'bench@example.test', password: `pw-${process.pid}-${Date.now()}`, name: 'bench' },
    });
    const userId = signUp.user.id;

    const createStart = performance.now();
    const keys = [];
    for (let i = 0; i < options.keys; i++) {
      const created = await auth.api.createApiKey({ body: { userId, name: `bench ${i}` } });
      keys.push(created.key);
    }
    const createSeconds = (performance.now() - createStart) / 1000;
    const stored = sqlite.prepare('select count(*) as n from apikey').get().n;
    if (stored !== options.keys) throw new Error(`expected ${options.keys} stored keys, found ${stored}`);
    log(`created ${options.keys} API keys in ${createSeconds.toFixed(2)} s`);

    log(
      `warming up ${options.warmup} s, then ${options.rounds} rounds of ${options.seconds} s over ${keys.length} keys…`,
    );
    // Warm-up: at least the given time and at least one pass over every key (JIT, statement cache, pages).
    await verifyFor(auth, keys, options.warmup, undefined, keys.length);
    const rounds = [];
    const timings = [];
    for (let r = 0; r < options.rounds; r++) rounds.push(await verifyFor(auth, keys, options.seconds, timings));
    timings.sort((a, b) => a - b);

    const result = {
      verifiesPerSecond: Math.round(median(rounds.map((r) => r.verifiesPerSecond))),
      verifiesPerCpuSecond: Math.round(median(rounds.map((r) => r.verifiesPerCpuSecond))),
      p50Ms: Number(percentile(timings, 50).toFixed(4)),
      p99Ms: Number(percentile(timings, 99).toFixed(4)),
      rounds: rounds.map((r) => Math.round(r.verifiesPerSecond)),
      verifies: rounds.reduce((sum, r) => sum + r.verifies, 0),
      keys: keys.length,
      hotKeys: keys.length,
      warmupSeconds: options.warmup,
      secondsPerRound: options.seconds,
      createSeconds: Number(createSeconds.toFixed(3)),
      rateLimiting: false,
      sqlite: {
        version: sqlite.prepare('select sqlite_version() as v').get().v,
        journalMode: sqlite.pragma('journal_mode', { simple: true }),
        synchronous: sqlite.pragma('synchronous', { simple: true }),
      },
      versions: {
        'better-auth': versionOf('better-auth'),
        '@better-auth/api-key': versionOf('@better-auth/api-key'),
        'better-sqlite3': versionOf('better-sqlite3'),
        node: process.version,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`peer-better-auth: ${error?.stack ?? error}`);
  process.exit(1);
});
