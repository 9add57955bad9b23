// `requireToken(...)`: express-style middleware that lets a request through only with an active
// Latchkey token holding the scopes a route needs, asked of the Latchkey server by introspection
// (no database, no Latchkey code in the service). It answers as Latchkey's own API does: 401 with
// `WWW-Authenticate: Bearer` for a missing or inactive token, 403 for a missing scope, and a JSON
// 500 without detail when Latchkey could not be asked.
import {
  createIntrospectionClient,
  type ActiveIntrospection,
  type IntrospectionClient,
  type IntrospectionClientOptions,
} from './introspection-client.js';

/** What the middleware reads of a request; an express `Request` is one. */
export type RequestLike = {
  headers: Record<string, string | string[] | undefined>;
  /** The caller's address as express sees it (its `trust proxy` setting applies). */
  ip?: string;
  /** Set by the middleware for the route after it; read it with `tokenOf(req)`. */
  latchkey?: ActiveIntrospection;
};

/** What the middleware writes of a response; an express `Response` is one. */
export type ResponseLike = {
  status(code: number): ResponseLike;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
};

export type RequireTokenOptions = IntrospectionClientOptions & {
  /** Scopes the token must all hold; none: any active token. */
  scopes?: readonly string[];
  /**
   * How long an active answer is kept, in seconds (0, the default, keeps none: every request asks).
   * A kept answer is used until then even if the token is revoked meanwhile, and such requests are
   * not counted as uses of the token by Latchkey. Never past the token's own expiry.
   */
  cacheSeconds?: number;
  /** The caller's address, sent as `client_ip` for the token's address list; `req.ip` by default. */
  clientIp?: (req: RequestLike) => string | undefined;
  /** Told of every failure to ask Latchkey (the request got a 500); for your log. */
  onError?: (error: unknown) => void;
  /** The time in milliseconds, for the cache; `Date.now` by default (tests move it). */
  now?: () => number;
};

type Answer = { status: number; body: { code: string; message: string }; challenge?: string };

const MISSING: Answer = {
  status: 401,
  body: { code: 'UNAUTHORIZED', message: 'API token was not provided' },
  challenge: 'Bearer realm="api"',
};
const INVALID: Answer = {
  status: 401,
  body: { code: 'UNAUTHORIZED', message: 'Invalid token' },
  challenge: 'Bearer realm="api", error="invalid_token"',
};
const UNCHECKED: Answer = { status: 500, body: { code: 'INTERNAL_ERROR', message: 'The token could not be checked' } };

/** The token of an `Authorization` header: `Bearer <token>` (any case) or the token alone. */
function tokenIn(header: string | string[] | undefined): string | null | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const value = header.trim();
  const bearer = /^bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1]!;
  return /\s/.test(value) ? null : value;
}

const MAX_CACHED = 10_000;

async function cacheKey(token: string, clientIp: string | undefined): Promise<string> {
  // Kept by a hash, never by the token itself, and per address (the address list may differ).
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${clientIp ?? ''}\n${token}`));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function requireToken(options: RequireTokenOptions) {
  const client: IntrospectionClient = createIntrospectionClient(options);
  const scopes = options.scopes ?? [];
  const cacheMs = Math.max(0, options.cacheSeconds ?? 0) * 1000;
  const now = options.now ?? Date.now;
  const clientIpOf = options.clientIp ?? ((req: RequestLike) => req.ip);
  const kept = new Map<string, { answer: ActiveIntrospection; until: number }>();

  async function introspect(token: string, clientIp: string | undefined) {
    if (cacheMs === 0) return client.introspect(token, { clientIp });
    const key = await cacheKey(token, clientIp);
    const entry = kept.get(key);
    if (entry && now() < entry.until) return entry.answer;
    const answer = await client.introspect(token, { clientIp });
    if (answer.active) {
      if (kept.size >= MAX_CACHED) kept.clear();
      const expiresAt = answer.exp === undefined ? Infinity : answer.exp * 1000;
      kept.set(key, { answer, until: Math.min(now() + cacheMs, expiresAt) });
    } else {
      kept.delete(key);
    }
    return answer;
  }

  function send(res: ResponseLike, answer: Answer): void {
    if (answer.challenge) res.setHeader('WWW-Authenticate', answer.challenge);
    res.status(answer.status).json(answer.body);
  }

  return (req: RequestLike, res: ResponseLike, next: (error?: unknown) => void): void => {
    const token = tokenIn(req.headers.authorization);
    if (token === undefined) return send(res, MISSING);
    if (token === null) return send(res, INVALID);
    introspect(token, clientIpOf(req)).then(
      (answer) => {
        if (!answer.active) return send(res, INVALID);
        const held = answer.scope === '' ? [] : answer.scope.split(' ');
        const missing = scopes.filter((scope) => !held.includes(scope));
        if (missing.length > 0) {
          const message = `This token lacks the scope ${missing.join(', ')}`;
          return send(res, { status: 403, body: { code: 'FORBIDDEN', message } });
        }
        req.latchkey = answer;
        next();
      },
      (error: unknown) => {
        options.onError?.(error);
        send(res, UNCHECKED);
      },
    );
  };
}

/** The token `requireToken` let through, in the route after it; throws if the middleware did not run. */
export function tokenOf(req: RequestLike): ActiveIntrospection {
  if (!req.latchkey) throw new Error('tokenOf: no token on this request; put requireToken(...) before the route');
  return req.latchkey;
}
