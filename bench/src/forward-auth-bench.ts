// Forward auth through real nginx, running the repository's configuration (deploy/nginx), to a trivial
// upstream, against /api/v1/me served directly by the same Latchkey server: what putting Latchkey in
// front of a service costs next to calling Latchkey itself. The upstream is a `return 200` block of the
// same nginx, so that the service behind adds as little as possible; nginx runs one worker.
import { proxyBinary, startProxy, type RunningProxy } from '../../apps/api/test/support/proxies';
import { compareLoads, meRequests, type HttpComparison, type PairOptions } from './http-bench';
import { freePort } from './server-process';

export { proxyBinary };

export async function runForwardAuthBench({
  serverUrl,
  serverCpuMs,
  token,
  load,
}: {
  serverUrl: string;
  serverCpuMs: () => number;
  token: string;
  load: PairOptions;
}): Promise<HttpComparison> {
  const upstreamPort = await freePort();
  let proxy: RunningProxy | undefined;
  try {
    proxy = await startProxy('nginx', {
      latchkey: new URL(serverUrl).host,
      service: `127.0.0.1:${upstreamPort}`,
      // A built-in scope, so that the server needs no TOKEN_SCOPES; the check is the same.
      scope: 'tokens:read',
      // nginx closes a client's connection after 1,000 requests by default, and a load generator's
      // request already on its way then fails; Latchkey's own server keeps its connections open.
      nginxHttp: [
        '  keepalive_requests 1000000;',
        `  server { listen 127.0.0.1:${upstreamPort}; location / { return 200 "ok\\n"; } }`,
      ].join('\n'),
    });
    return await compareLoads(
      {
        url: proxy.url,
        requests: [{ path: '/invoices/1', headers: { authorization: `Bearer ${token}` } }],
        serverCpuMs,
      },
      { url: serverUrl, requests: meRequests([token]), serverCpuMs },
      load,
    );
  } finally {
    await proxy?.stop();
  }
}
