// `npx tsx apps/api/scripts/measure-sign-in.ts`: what a sign-in costs on this machine, and what 20
// sign-ins at once do to the server. An in-process server on a temporary SQLite file signs one user
// in over HTTP (tRPC `auth.signIn`): first one at a time (ms per sign-in), then 20 in parallel, while
// node's event-loop delay is sampled and a health check and a file read (a job for libuv's thread
// pool, like any file or DNS work) are timed in the middle of the burst. docs/configuration.md has
// the figures. Nothing is written outside the temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import superjson from 'superjson';
import { createDatabase, createLatchkey, createUser, migrateToLatest, systemClock } from '@latchkey/lib';
import { createApp } from '../src/app';
import { defaultConfig } from '../src/config';

const SERIAL = 10;
const PARALLEL = 20;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-sign-in-'));
const db = createDatabase(path.join(dir, 'measure.db'));
await migrateToLatest(db);
const config = defaultConfig({
  logLevel: 'silent',
  rateLimits: { trpcPerMinute: 1_000_000, signInFailures: 1_000_000 },
});
const latchkey = await createLatchkey({ database: db, clock: systemClock, limits: config.rateLimits });
const app = createApp({ latchkey, config, webDist: null });
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const email = 'measure@example.test';
const password = `measured ${Math.random().toString(36).slice(2)}`;
await createUser({ db, clock: systemClock, email, name: 'Measure', password });

async function signIn(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/api/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(superjson.serialize({ email, password })),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  await res.arrayBuffer();
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

// The first sign-in may upgrade the hash or warm caches; it is not counted.
await signIn();
const serial: number[] = [];
for (let i = 0; i < SERIAL; i++) serial.push(await signIn());

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const burstStarted = performance.now();
const burst = Promise.all(Array.from({ length: PARALLEL }, () => signIn()));
// Probes sent while the burst is being hashed.
await new Promise((resolve) => setTimeout(resolve, 50));
const healthStarted = performance.now();
const health = fetch(`${url}/api/health`).then(async (res) => {
  await res.arrayBuffer();
  return performance.now() - healthStarted;
});
const readStarted = performance.now();
const fileRead = fs.promises.readFile(import.meta.filename).then(() => performance.now() - readStarted);
const [each, healthMs, readMs] = await Promise.all([burst, health, fileRead]);
const burstMs = performance.now() - burstStarted;
delay.disable();

console.log(`sign-in, one at a time: median ${ms(median(serial))} (${SERIAL} sign-ins)`);
console.log(`${PARALLEL} sign-ins at once: all done in ${ms(burstMs)}, slowest ${ms(Math.max(...each))}`);
console.log(
  `event-loop delay meanwhile: p50 ${ms(delay.percentile(50) / 1e6)}, p99 ${ms(delay.percentile(99) / 1e6)}, ` +
    `max ${ms(delay.max / 1e6)}`,
);
console.log(`during the burst: /api/health answered in ${ms(healthMs)}, a file read took ${ms(readMs)}`);
console.log(`machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)}`);

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await latchkey.close();
await db.destroy();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
