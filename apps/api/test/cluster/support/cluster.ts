// Several real servers on one database, started as production starts them (separate processes of
// apps/api/src/main.ts, each on its own free port), for the many-server suites. `stop()` kills every
// one of them by its own process id; call it in `afterAll` so a failing test never leaves one behind.
import { freePort, startChildServer, type ChildServer } from '../../reliability/support/child-server';

export type Cluster = {
  servers: ChildServer[];
  /** Everything the servers printed, in arrival order (for a failure message or a secrets check). */
  output: string[];
  /** Starts one more server on the same database and settings; it joins `servers`. */
  add(env?: Record<string, string>): Promise<ChildServer>;
  stop(): Promise<void>;
};

export type StartClusterOptions = {
  size: number;
  databaseUrl: string;
  /** Environment for every server (REDIS_URL, RATE_LIMIT_*, …) on top of the test process's own. */
  env?: Record<string, string>;
};

export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  const output: string[] = [];
  const servers: ChildServer[] = [];
  const cluster: Cluster = {
    servers,
    output,
    async add(env = {}) {
      const server = await startChildServer({
        databaseUrl: options.databaseUrl,
        port: await freePort(),
        env: { ...options.env, ...env },
        output,
      });
      servers.push(server);
      return server;
    },
    async stop() {
      await Promise.all(servers.map((server) => server.kill('SIGKILL')));
    },
  };
  try {
    // One at a time: each runs the migrations at start, and they must not race on a new database.
    for (let i = 0; i < options.size; i++) await cluster.add();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
