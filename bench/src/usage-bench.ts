// Issue 12's figures for usage recording away from the request: one flush of many tokens'
// counters (its time and its statements, counted at the driver), and the usage query of one token
// for 31 days hourly, in the library and as the web UI calls it (`apiToken.usage` over tRPC),
// with a table holding 1,000 tokens × 90 days of hourly buckets.
import { sql } from 'kysely';
import {
  createUsageRecorder,
  engineOf,
  getApiTokenUsage,
  HOUR_MS,
  systemClock,
  trpcTransformer,
  type ApiTokenUsage,
  type Db,
  type UsageRecorder,
} from '@latchkey/lib';
import type { SuperJSONResult } from 'superjson';
import { countQueries } from './query-counter';
import { latencySummary } from './stats';

const DAY_MS = 24 * HOUR_MS;

/**
 * `days` of hourly buckets, ending with the current hour, for every token of `userId`: one
 * INSERT … SELECT over a series of hours (a recursive CTE on SQLite, generate_series on PostgreSQL).
 */
export async function seedUsage(db: Db, { userId, days, now }: { userId: number; days: number; now: number }) {
  const started = performance.now();
  const hours = days * 24;
  const first = now - (now % HOUR_MS) - (hours - 1) * HOUR_MS;
  // Counts vary by token and hour, so that no two buckets are alike.
  const select = sql`select t.id, ${sql.lit(first)} + cast(h.i as bigint) * ${sql.lit(HOUR_MS)},
      1 + (t.id * 7 + h.i) % 50, (t.id + h.i) % 3
    from api_tokens t`;
  // Hour by hour, as flushes write them: one token's rows are spread over the table, not side by side.
  const order = sql`order by h.i, t.id`;
  const query =
    engineOf(db)?.kind === 'postgres'
      ? sql`insert into api_token_usage (token_id, hour_start, requests, failed)
          ${select} cross join generate_series(0, ${sql.lit(hours - 1)}) as h(i) where t.user_id = ${userId} ${order}`
      : sql`with recursive h(i) as (select 0 union all select i + 1 from h where i < ${sql.lit(hours - 1)})
          insert into api_token_usage (token_id, hour_start, requests, failed)
          ${select} cross join h where t.user_id = ${userId} ${order}`;
  const result = await query.execute(db);
  // What autovacuum does after an insert this size, done now so the figure does not depend on
  // whether it came first: statistics for the planner, and the visibility map, without which an
  // index-only scan reads every heap page anyway. A table with months of rows has had both.
  if (engineOf(db)?.kind === 'postgres') await sql`vacuum analyze api_token_usage`.execute(db);
  return { rows: Number(result.numAffectedRows ?? 0), seconds: (performance.now() - started) / 1000 };
}

export type FlushRun = { tokens: number; requests: number; ms: number; statements: number; rowsAfter: number };

/**
 * One usage recorder, as the server keeps it, sees `requestsPerToken` uses of every token (each token from
 * its own client address, as the REST middleware records them), then one flush is timed and its
 * statements counted. Each step adds to the same token-hours, so later steps take the upsert's
 * update path. The statements depend on the rows written (token-hours, token-addresses), never on
 * the number of requests.
 */
export async function runFlushBench(db: Db, tokenIds: number[], requestsPerToken: number[]): Promise<FlushRun[]> {
  let failure: Error | undefined;
  const tracker: UsageRecorder = createUsageRecorder({
    db,
    clock: systemClock,
    onError: (error) => {
      failure = error instanceof Error ? error : new Error('the flush failed', { cause: error });
    },
  });
  const runs: FlushRun[] = [];
  const ips = tokenIds.map((_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  try {
    for (const perToken of requestsPerToken) {
      for (let r = 0; r < perToken; r++) {
        const now = systemClock.now();
        tokenIds.forEach((id, i) => tracker.recordRequest(id, now, null, ips[i]!, 'latchkey-bench'));
      }
      const counter = countQueries();
      const started = performance.now();
      await tracker.flush();
      const ms = performance.now() - started;
      const statements = counter.count;
      counter.stop();
      if (failure) throw failure;
      // What was written must be there: every token has a row for this hour.
      const hour = Date.now() - (Date.now() % HOUR_MS);
      const written = await db
        .selectFrom('api_token_usage')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('hour_start', '>=', hour - HOUR_MS)
        .executeTakeFirstOrThrow();
      runs.push({
        tokens: tokenIds.length,
        requests: tokenIds.length * perToken,
        ms,
        statements,
        rowsAfter: Number(written.n),
      });
    }
  } finally {
    await tracker.close();
  }
  return runs;
}

export type UsageQueryResult = { requests: number; p50Ms: number; p99Ms: number; buckets: number };

/** The window the UI asks for: the last `days` days, hourly. */
function window(days: number) {
  const to = Date.now();
  return { from: new Date(to - days * DAY_MS), to: new Date(to) };
}

/** `getApiTokenUsage` in this process, one call at a time. */
export async function usageQueryInLibrary(
  db: Db,
  {
    userId,
    tokenId,
    days,
    requests,
    warmup,
  }: { userId: number; tokenId: number; days: number; requests: number; warmup: number },
): Promise<UsageQueryResult> {
  const latencies = new Float64Array(requests);
  let buckets = 0;
  for (let i = -warmup; i < requests; i++) {
    const started = performance.now();
    const usage = await getApiTokenUsage({
      db,
      clock: systemClock,
      userId,
      id: tokenId,
      ...window(days),
      granularity: 'hour',
    });
    const elapsed = performance.now() - started;
    buckets = usage.buckets.length;
    if (usage.total.requests === 0) throw new Error('the usage query found no requests in a seeded table');
    if (i >= 0) latencies[i] = elapsed;
  }
  const { p50, p99 } = latencySummary(latencies, requests);
  return { requests, p50Ms: p50, p99Ms: p99, buckets };
}

/** `apiToken.usage` over HTTP as the web UI calls it: a GET with the session cookie, superjson both ways. */
export async function usageOverTrpc(
  baseUrl: string,
  sessionId: string,
  { tokenId, days, requests, warmup }: { tokenId: number; days: number; requests: number; warmup: number },
): Promise<UsageQueryResult> {
  const headers = { cookie: `latchkey_session=${sessionId}` };
  const latencies = new Float64Array(requests);
  let buckets = 0;
  for (let i = -warmup; i < requests; i++) {
    const { from, to } = window(days);
    // superjson's wire form of { id, from: Date, to: Date, granularity }.
    const input = {
      json: { id: tokenId, from: from.toISOString(), to: to.toISOString(), granularity: 'hour' },
      meta: { values: { from: ['Date'], to: ['Date'] } },
    };
    const url = `${baseUrl}/api/trpc/apiToken.usage?input=${encodeURIComponent(JSON.stringify(input))}`;
    const started = performance.now();
    const response = await fetch(url, { headers });
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (!response.ok) throw new Error(`apiToken.usage answered ${response.status}: ${body.slice(0, 200)}`);
    // Read back as the UI reads it (after the timing, as the UI's own work): the shared transformer.
    const parsed = JSON.parse(body) as { result: { data: SuperJSONResult } };
    const usage = trpcTransformer.deserialize<ApiTokenUsage>(parsed.result.data);
    buckets = usage.buckets.length;
    if (usage.total.requests === 0 || !(usage.buckets[0]?.start instanceof Date))
      throw new Error('apiToken.usage found no requests in a seeded table');
    if (i >= 0) latencies[i] = elapsed;
  }
  const { p50, p99 } = latencySummary(latencies, requests);
  return { requests, p50Ms: p50, p99Ms: p99, buckets };
}
