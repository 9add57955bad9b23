// GET /api/v1/me with a valid token against GET /api/health on the same server, with autocannon:
// same connections, same duration, alternating which goes first, several pairs; the median of the
// per-pair throughput ratios is the result. The server's CPU time per request is read from /proc
// alongside, a second view that other processes on the machine disturb less.
import autocannon from 'autocannon';
import { median } from './stats';

export type HttpRun = {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  bad: number;
  cpuUsPerRequest: number;
};

type Summary = { requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number };

export type HttpComparison = {
  pairs: Array<{ me: HttpRun; health: HttpRun; ratio: number; cpuRatio: number }>;
  /** Median of me/health throughput over the pairs. */
  ratio: number;
  /** Median of health/me server CPU time per request (what the throughput ratio would be on an idle machine). */
  cpuRatio: number;
  me: Summary;
  health: Summary;
  /** Responses that were not 2xx, errors and timeouts; any makes the comparison invalid. */
  badResponses: number;
};

export type HttpLoad = { connections: number; seconds: number };

type Request = { path: string; headers: Record<string, string> };

async function load(
  baseUrl: string,
  requests: Request[],
  { connections, seconds }: HttpLoad,
  serverCpuMs: () => number,
): Promise<HttpRun> {
  const cpuBefore = serverCpuMs();
  const result = await autocannon({
    url: baseUrl,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    // autocannon cycles through these on every connection.
    requests: requests.map(({ path, headers }) => ({ method: 'GET', path, headers })),
  });
  const cpu = serverCpuMs() - cpuBefore;
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    requestsPerSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok,
    bad,
    cpuUsPerRequest: (cpu / (ok + result.non2xx)) * 1000 || Number.NaN,
  };
}

export async function compareMeWithHealth(
  baseUrl: string,
  tokens: string[],
  {
    pairs,
    warmupSeconds,
    serverCpuMs,
    ...loadOptions
  }: HttpLoad & { pairs: number; warmupSeconds: number; serverCpuMs: () => number },
): Promise<HttpComparison> {
  // Several tokens are checked in turn (one request each) when more than one is given.
  const meRequests = tokens.map((token) => ({ path: '/api/v1/me', headers: { authorization: `Bearer ${token}` } }));
  const healthRequests = [{ path: '/api/health', headers: {} }];
  const me = (options = loadOptions) => load(baseUrl, meRequests, options, serverCpuMs);
  const health = (options = loadOptions) => load(baseUrl, healthRequests, options, serverCpuMs);

  // Both routes warm (JIT, connection pool, pages) before anything counts.
  const warm = { ...loadOptions, seconds: warmupSeconds };
  await me(warm);
  await health(warm);

  const results: HttpComparison['pairs'] = [];
  for (let i = 0; i < pairs; i++) {
    let a: HttpRun;
    let b: HttpRun;
    if (i % 2 === 0) {
      a = await me();
      b = await health();
    } else {
      b = await health();
      a = await me();
    }
    results.push({
      me: a,
      health: b,
      ratio: a.requestsPerSecond / b.requestsPerSecond,
      cpuRatio: b.cpuUsPerRequest / a.cpuUsPerRequest,
    });
  }
  const summary = (pick: (pair: HttpComparison['pairs'][number]) => HttpRun): Summary => ({
    requestsPerSecond: median(results.map((pair) => pick(pair).requestsPerSecond)),
    p50Ms: median(results.map((pair) => pick(pair).p50Ms)),
    p99Ms: median(results.map((pair) => pick(pair).p99Ms)),
    cpuUsPerRequest: median(results.map((pair) => pick(pair).cpuUsPerRequest)),
  });
  return {
    pairs: results,
    ratio: median(results.map((pair) => pair.ratio)),
    cpuRatio: median(results.map((pair) => pair.cpuRatio)),
    me: summary((pair) => pair.me),
    health: summary((pair) => pair.health),
    badResponses: results.reduce((sum, pair) => sum + pair.me.bad + pair.health.bad, 0),
  };
}
