// Redis for tests: the shared one at TEST_REDIS_URL (each test uses its own key prefix), and private
// `redis-server` processes on a spare port for the tests that stop and restart Redis. When Redis is
// missing, a test that needs it fails under CI=true and is skipped, with the reason, elsewhere.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { pingRedis as ping } from '../server-only/rate-limit/ping-redis.js';

/** The Redis the tests share; `TEST_REDIS_URL` overrides it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A key prefix no other test run uses. */
export function uniqueRedisPrefix(label: string): string {
  return `latchkey-test:${label}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

let sharedAvailable: Promise<string | null> | undefined;

/** null when the shared test Redis answers; otherwise why not. */
export function redisUnavailableReason(): Promise<string | null> {
  sharedAvailable ??= ping(TEST_REDIS_URL).then(
    () => null,
    (error: Error) => `Redis is not reachable at ${TEST_REDIS_URL}: ${error.message}`,
  );
  return sharedAvailable;
}

/** null when `redis-server` can be started here; otherwise why not. */
export function redisServerUnavailableReason(): Promise<string | null> {
  const run = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (run.error)
    return Promise.resolve(`redis-server cannot be run: ${run.error.message} (apt-get install redis-server)`);
  return Promise.resolve(run.status === 0 ? null : `redis-server --version exited with ${run.status}`);
}

export type RedisServer = {
  port: number;
  url: string;
  /** The process id of the running server, or null while it is stopped. */
  readonly pid: number | null;
  /** Kills the server by its process id (SIGKILL unless told otherwise) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A private `redis-server` on a spare port that keeps nothing on disk; stop it in `afterAll`. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function start() {
    if (child) return;
    const output: string[] = [];
    const process_ = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = process_;
    running.add(process_);
    process_.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    process_.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    exited = new Promise((resolve) => {
      process_.once('exit', () => {
        running.delete(process_);
        if (child === process_) child = null;
        resolve();
      });
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child !== process_)
        throw new Error(`redis-server on port ${port} exited at start: ${output.join('').slice(-1000)}`);
      try {
        await ping(url, 500);
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          process_.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} did not answer within 10 s: ${(error as Error).message}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  await start();
  return {
    port,
    url,
    get pid() {
      return child?.pid ?? null;
    },
    async stop(signal = 'SIGKILL') {
      if (child && child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
      await exited;
    },
    start,
  };
}
