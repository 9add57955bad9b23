// The long soak, outside the test run: the real server under keep-alive load for minutes, with a
// per-IP limit, checking each minute's count and the memory over time. Only 127.0.0.1 is loaded,
// and it stops by itself.
//   cd apps/api && npx tsx test/reliability/soak.ts [seconds=300] [connections=500] [limit=200]
import { createTestDatabase } from '@latchkey/lib/testing';
import { runCli } from '../../src/cli/run-cli';
import { freePort, startChildServer } from './support/child-server';
import { runLoad } from './support/load';

const seconds = Number(process.argv[2] ?? 300);
const connections = Number(process.argv[3] ?? 500);
const limit = Number(process.argv[4] ?? 200);
if (!(seconds > 0 && seconds <= 3600 && connections > 0 && connections <= 2000 && limit > 0)) {
  console.error('usage: soak.ts [seconds (1-3600)] [connections (1-2000)] [limit]');
  process.exit(1);
}

const database = await createTestDatabase('sqlite');
const env = { DATABASE_URL: database.url };
const out: string[] = [];
await runCli(
  ['user:create', '--email', 'soak@example.test', '--name', 'Soak'],
  { ...env, LATCHKEY_PASSWORD: `soak-${Date.now()}` },
  () => {},
  (l) => out.push(l),
);
await runCli(
  ['token:create', '--email', 'soak@example.test', '--name', 'soak token'],
  env,
  (l) => out.push(l),
  (l) => out.push(l),
);
const token = out.at(-1)!;
const output: string[] = [];
const server = await startChildServer({
  databaseUrl: database.url,
  port: await freePort(),
  env: { RATE_LIMIT_IP_PER_MINUTE: String(limit) },
  output,
});
const baseline = server.rssKb()!;
const mb = (kb: number) => Math.round(kb / 1024);
const rss: number[] = [];
const sampler = setInterval(() => rss.push(server.rssKb() ?? 0), 10_000);
const windows = new Map<string, { ok: number; limited: number; other: number }>();

console.log(`soak: ${connections} connections for ${seconds} s, limit ${limit}/min; RSS baseline ${mb(baseline)} MB`);
const result = await runLoad({
  url: `${server.url}/api/v1/me`,
  token,
  connections,
  durationMs: seconds * 1000,
  onResponse({ status, headers }) {
    const reset = String(headers['x-ratelimit-reset']);
    const w = windows.get(reset) ?? { ok: 0, limited: 0, other: 0 };
    if (status === 200) w.ok += 1;
    else if (status === 429) w.limited += 1;
    else w.other += 1;
    windows.set(reset, w);
  },
});
clearInterval(sampler);
await new Promise((resolve) => setTimeout(resolve, 5000));
const after = server.rssKb()!;
await server.kill('SIGTERM');
await database.drop();

let failed = result.errors > 0;
for (const [reset, w] of windows) {
  const expected = Math.min(limit, w.ok + w.limited);
  const bad = w.ok !== expected || w.other > 0;
  failed ||= bad;
  const end = new Date(Number(reset) * 1000).toISOString();
  console.log(`window ending ${end}: ${w.ok} ok, ${w.limited} limited, ${w.other} other${bad ? '  <-- wrong' : ''}`);
}
console.log(
  `${result.requests} requests in ${result.seconds.toFixed(0)} s over ${result.sockets} connections, ` +
    `${result.errors} errors ${result.errorSamples.join(', ')}`,
);
console.log(`RSS MB every 10 s: ${rss.map(mb).join(' ')}; after: ${mb(after)} (baseline ${mb(baseline)})`);
if (after > baseline + 60 * 1024) failed = true;
console.log(failed ? 'soak FAILED' : 'soak passed');
process.exit(failed ? 1 : 0);
