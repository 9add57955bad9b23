// Two loads compared with autocannon (GET /api/v1/me with a valid token against GET /api/health on
// the same server, or /me on two servers): same connections, same duration, alternating which goes
// first, several pairs; the median of the per-pair throughput ratios is the result. The server's CPU
// time per request is read from /proc alongside, a second view that other processes on the machine
// disturb less.
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
  pairs: Array<{ a: HttpRun; b: HttpRun; ratio: number; cpuRatio: number }>;
  /** Median of a/b throughput over the pairs (a = /me and b = /health in the me-vs-health rows). */
  ratio: number;
  /** Median of b/a server CPU time per request (what the throughput ratio would be on an idle machine). */
  cpuRatio: number;
  a: Summary;
  b: Summary;
  /** Responses that were not 2xx, errors and timeouts; any makes the comparison invalid. */
  badResponses: number;
};

export type HttpLoad = { connections: number; seconds: number };

/** A request autocannon sends: a GET unless `method` says otherwise, with `body` as given. */
type Request = { path: string; headers: Record<string, string>; method?: 'GET' | 'POST'; body?: string };

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
    requests: requests.map(({ path, headers, method = 'GET', body }) => ({ method, path, headers, body })),
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

/** One side of a comparison: a server and the requests autocannon cycles through on it. */
export type LoadSide = { url: string; requests: Request[]; serverCpuMs: () => number };

export type PairOptions = HttpLoad & { pairs: number; warmupSeconds: number };

/**
 * `a` against `b` in pairs (a first in odd pairs, b first in even ones), after a warm-up of each:
 * the median of the per-pair throughput ratios a/b, and of the server CPU-time ratios.
 */
export async function compareLoads(
  a: LoadSide,
  b: LoadSide,
  { pairs, warmupSeconds, ...loadOptions }: PairOptions,
): Promise<HttpComparison> {
  const runA = (options = loadOptions) => load(a.url, a.requests, options, a.serverCpuMs);
  const runB = (options = loadOptions) => load(b.url, b.requests, options, b.serverCpuMs);

  // Both sides warm (JIT, connection pool, pages) before anything counts.
  const warm = { ...loadOptions, seconds: warmupSeconds };
  await runA(warm);
  await runB(warm);

  const results: HttpComparison['pairs'] = [];
  for (let i = 0; i < pairs; i++) {
    let first: HttpRun;
    let second: HttpRun;
    if (i % 2 === 0) {
      first = await runA();
      second = await runB();
    } else {
      second = await runB();
      first = await runA();
    }
    results.push({
      a: first,
      b: second,
      ratio: first.requestsPerSecond / second.requestsPerSecond,
      cpuRatio: second.cpuUsPerRequest / first.cpuUsPerRequest,
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
    a: summary((pair) => pair.a),
    b: summary((pair) => pair.b),
    badResponses: results.reduce((sum, pair) => sum + pair.a.bad + pair.b.bad, 0),
  };
}

/** `GET /api/v1/me` with a valid token (several in turn when more are given). */
export function meRequests(tokens: string[]): Request[] {
  return tokens.map((token) => ({ path: '/api/v1/me', headers: { authorization: `Bearer ${token}` } }));
}

/** /api/v1/me (a) against /api/health (b) on one server. */
export function compareMeWithHealth(
  baseUrl: string,
  tokens: string[],
  { serverCpuMs, ...options }: PairOptions & { serverCpuMs: () => number },
): Promise<HttpComparison> {
  return compareLoads(
    { url: baseUrl, requests: meRequests(tokens), serverCpuMs },
    { url: baseUrl, requests: [{ path: '/api/health', headers: {} }], serverCpuMs },
    options,
  );
}
