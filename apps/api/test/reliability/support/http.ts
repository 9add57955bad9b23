// Small HTTP clients for the reliability suites: REST and tRPC over fetch (so the suites see the
// real status codes), and raw bytes over a socket for what fetch refuses to send.
import net from 'node:net';
import { trpcTransformer as superjson } from '@latchkey/lib';

export type HttpResult = { status: number; headers: Headers; text: string; body: any };

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function rest(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string | null; authorization?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(baseUrl + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parse(text) };
}

export type TrpcResult = HttpResult & {
  /** The procedure's result, deserialized, when the call succeeded. */
  data?: any;
  /** The tRPC error (`{message, code, data: {code, httpStatus, issues}}`) when it failed. */
  error?: { message: string; data: { code: string; httpStatus: number; issues?: unknown } };
  /** Session ids the response set with `Set-Cookie`. */
  setSessionIds: string[];
};

export async function trpc(
  baseUrl: string,
  type: 'query' | 'mutation',
  path: string,
  input?: unknown,
  options: { cookie?: string; sessionId?: string | null; headers?: Record<string, string> } = {},
): Promise<TrpcResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  else if (options.sessionId) headers.cookie = `latchkey_session=${options.sessionId}`;
  let response: Response;
  if (type === 'query') {
    const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
    response = await fetch(`${baseUrl}/api/trpc/${path}${query}`, { headers });
  } else {
    headers['content-type'] = 'application/json';
    response = await fetch(`${baseUrl}/api/trpc/${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(input === undefined ? {} : superjson.serialize(input)),
    });
  }
  const text = await response.text();
  const body = parse(text);
  const result: TrpcResult = { status: response.status, headers: response.headers, text, body, setSessionIds: [] };
  for (const cookie of response.headers.getSetCookie()) {
    const match = /^latchkey_session=([^;]*)/.exec(cookie);
    if (match?.[1]) result.setSessionIds.push(match[1]);
  }
  if (body?.result) result.data = superjson.deserialize(body.result.data);
  if (body?.error) result.error = superjson.deserialize(body.error);
  return result;
}

export type RawResponse = {
  /** null when no status line came back (the server closed the connection without answering). */
  status: number | null;
  headers: Record<string, string[]>;
  body: string;
  timedOut: boolean;
  error: string | null;
};

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

type Parsed = Omit<RawResponse, 'timedOut' | 'error'> & { complete: boolean };

/**
 * Parses the final HTTP/1.1 response out of what a connection sent so far (interim 1xx responses
 * are skipped). `complete` says whether all of its body has arrived.
 */
export function parseRawResponse(data: Buffer, headRequest = false): Parsed {
  let raw = data;
  for (;;) {
    const headerEnd = raw.indexOf('\r\n\r\n');
    if (headerEnd < 0) return { status: null, headers: {}, body: raw.toString('latin1'), complete: false };
    const [statusLine = '', ...headerLines] = raw.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    const status = match ? Number(match[1]) : null;
    if (status !== null && status >= 100 && status < 200 && status !== 101) {
      raw = raw.subarray(headerEnd + 4);
      continue;
    }
    const headers: Record<string, string[]> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    const rest = raw.subarray(headerEnd + 4);
    if (headRequest || status === 204 || status === 304) return { status, headers, body: '', complete: true };
    if (headers['transfer-encoding']?.some((v) => v.toLowerCase().includes('chunked'))) {
      const complete =
        rest.includes('0\r\n\r\n') &&
        (rest.subarray(0, 3).toString('latin1') === '0\r\n' || rest.includes('\r\n0\r\n\r\n'));
      return { status, headers, body: dechunk(rest).toString('utf8'), complete };
    }
    const length = headers['content-length']?.[0];
    if (length !== undefined) {
      const size = Number(length);
      return { status, headers, body: rest.subarray(0, size).toString('utf8'), complete: rest.length >= size };
    }
    return { status, headers, body: rest.toString('utf8'), complete: false };
  }
}

/**
 * Sends bytes as they are on a fresh connection and reads until the server closes it. Requests
 * should carry `Connection: close`; `timeoutMs` bounds a server that waits for more.
 */
export function rawHttp(port: number, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  const headRequest = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | null = null;
    let timedOut = false;
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { complete: _complete, ...parsed } = parseRawResponse(Buffer.concat(chunks), headRequest);
      resolve({ ...parsed, timedOut, error });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      finish();
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // Done as soon as one whole response is in, whether or not the server closes the connection.
      if (parseRawResponse(Buffer.concat(chunks), headRequest).complete) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after the server answered and closed is how some refusals end; keep what came.
      error = e.code ?? e.message;
    });
    socket.on('close', finish);
  });
}
