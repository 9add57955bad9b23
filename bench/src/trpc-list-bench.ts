// apiToken.getMany over HTTP, as the web UI calls it: a GET with the session cookie, superjson
// in the answer. One request at a time, so each latency is the server's time for the whole list.
import { latencySummary } from './stats';

export type ListResult = { tokens: number; requests: number; p50Ms: number; p99Ms: number; bytes: number };

export async function listTokensOverTrpc(
  baseUrl: string,
  sessionId: string,
  { requests, warmup, expected }: { requests: number; warmup: number; expected: number },
): Promise<ListResult> {
  const url = `${baseUrl}/api/trpc/apiToken.getMany`;
  const headers = { cookie: `latchkey_session=${sessionId}` };
  const latencies = new Float64Array(requests);
  let bytes = 0;
  let tokens = 0;
  for (let i = -warmup; i < requests; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (!response.ok) throw new Error(`apiToken.getMany answered ${response.status}: ${body.slice(0, 200)}`);
    if (i < 0) continue;
    latencies[i] = elapsed;
    if (i === 0) {
      const parsed = JSON.parse(body) as { result: { data: { json: unknown[] } } };
      tokens = parsed.result.data.json.length;
      bytes = body.length;
      if (tokens !== expected) throw new Error(`apiToken.getMany listed ${tokens} tokens, expected ${expected}`);
    }
  }
  const { p50, p99 } = latencySummary(latencies, requests);
  return { tokens, requests, p50Ms: p50, p99Ms: p99, bytes };
}
