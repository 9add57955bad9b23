// A bounded keep-alive load loop against 127.0.0.1: `connections` clients, each sending its next
// request as soon as the last one is answered, until `durationMs` has passed. It stops by itself.
import http from 'node:http';
import type net from 'node:net';

export type LoadResponse = { status: number; headers: http.IncomingHttpHeaders; body: string };

export type LoadResult = { requests: number; errors: number; errorSamples: string[]; sockets: number; seconds: number };

export async function runLoad(options: {
  url: string;
  token: string;
  connections: number;
  durationMs: number;
  onResponse(response: LoadResponse): void;
}): Promise<LoadResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(options.url))
    throw new Error('load only ever goes to this machine');
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.connections,
    maxFreeSockets: options.connections,
  });
  const sockets = new Set<net.Socket>();
  const headers = { authorization: `Bearer ${options.token}` };
  let requests = 0;
  let errors = 0;
  const errorSamples: string[] = [];

  const once = () =>
    new Promise<void>((resolve) => {
      const req = http.get(options.url, { agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          requests += 1;
          options.onResponse({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          resolve();
        });
        res.on('error', (error) => {
          errors += 1;
          if (errorSamples.length < 10) errorSamples.push(error.message);
          resolve();
        });
      });
      req.on('socket', (socket) => sockets.add(socket));
      req.on('error', (error: NodeJS.ErrnoException) => {
        errors += 1;
        if (errorSamples.length < 10) errorSamples.push(error.code ?? error.message);
        resolve();
      });
    });

  const started = performance.now();
  const end = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < end) await once();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, errors, errorSamples, sockets: sockets.size, seconds };
}
