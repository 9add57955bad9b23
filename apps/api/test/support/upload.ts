// A large request body streamed over a connection of its own, as a client that means harm sends
// it: written as fast as the server takes it, answer or no answer, until it is all sent or the
// server ends the connection. `sent` says how much the server let in.
import net from 'node:net';
import { parseRawResponse } from '../reliability/support/http';

export type UploadOptions = {
  method?: string;
  headers?: Record<string, string>;
  /** Bytes to send. */
  size: number;
  /** Chunked framing (no Content-Length), so the server cannot know the size up front. */
  chunked?: boolean;
  /** What the body is made of, repeated (64 KB of `a` by default). */
  fill?: Buffer;
  timeoutMs?: number;
};

export type UploadResult = {
  status: number | null;
  headers: Record<string, string[]>;
  text: string;
  /** Bytes written to the connection before it ended (the whole body when the server read it all). */
  sent: number;
  error: string | null;
};

/** Sends the request over a raw socket, so no client library closes the connection when the answer comes. */
export function upload(url: string, options: UploadOptions): Promise<UploadResult> {
  const { size, chunked = false, timeoutMs = 60_000 } = options;
  const fill = options.fill ?? Buffer.alloc(64 * 1024, 'a');
  const { hostname, port, pathname, search } = new URL(url);
  const lines = [`${options.method ?? 'POST'} ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push(chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`);
  return new Promise((resolve) => {
    // Half-open allowed: the server's FIN after its answer does not stop the sending, only a reset does.
    const socket = net.connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const received: Buffer[] = [];
    const result: UploadResult = { status: null, headers: {}, text: '', sent: 0, error: null };
    let answered = false;
    let stopped = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const { status, headers, body } = parseRawResponse(Buffer.concat(received));
      resolve({ ...result, status, headers, text: body });
    };
    // Done once the answer is in and the body is all sent, or once the server ends the connection.
    const settle = () => {
      if (answered && stopped) finish();
    };
    const timer = setTimeout(() => {
      result.error ??= `not done within ${timeoutMs} ms`;
      finish();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      answered = parseRawResponse(Buffer.concat(received)).complete;
      settle();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      result.error ??= error.code ?? error.message;
    });
    socket.on('close', finish);
    const write = (data: Buffer) => {
      result.sent += data.length;
      if (!chunked) return socket.write(data);
      return socket.write(Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]));
    };
    const pump = () => {
      while (!socket.destroyed && result.sent < size) {
        const length = Math.min(fill.length, size - result.sent);
        if (!write(length === fill.length ? fill : fill.subarray(0, length))) {
          socket.once('drain', pump);
          return;
        }
      }
      if (socket.destroyed || stopped) return;
      if (chunked) socket.write('0\r\n\r\n');
      stopped = true;
      settle();
    };
    socket.on('connect', () => {
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      pump();
    });
  });
}
