// Forward auth for reverse proxies (nginx `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth`):
// the proxy asks `/api/v1/forward-auth?scope=…` with the client's `Authorization` and address before
// it lets a request through to the service behind it. A token that passes is answered 200 with no body
// and the identity headers the proxy copies to the service; one that does not gets the same 401, 403
// or 429 (JSON body, `WWW-Authenticate`, `Retry-After`, `X-RateLimit-*`) as any /api/v1 route. It is a
// use of the token like any other: its last use, usage, limits and audit events count it.
//
// The check itself is the runtime's one verifier, as for every /api/v1 route; this file only reads what
// the proxy asks, turns the verdict into an answer and repeats a refusal's body in a header for nginx.
import type { Request, RequestHandler, Response } from 'express';
import { AppError, AppErrorCode, ownerKey, tokenOfHeader, type VerifiedApiToken, type Verifier } from '@latchkey/lib';
import { clientIp } from '../http/client-ip';
import { sendRefusal, setRateLimitHeaders } from '../http/rate-limit-headers';
import { API_PREFIX } from './mount-routes';
import { parseQuery } from './parse-request';

export const FORWARD_AUTH_PATH = `${API_PREFIX}/forward-auth`;

/** Every header an accepted request may be answered with; a proxy strips these from the client's request. */
export const IDENTITY_HEADERS = [
  'X-Latchkey-Token-Id',
  'X-Latchkey-Owner',
  'X-Latchkey-User-Id',
  'X-Latchkey-Team-Id',
  'X-Latchkey-Team-Slug',
  'X-Latchkey-Scopes',
] as const;

type IdentityHeader = (typeof IDENTITY_HEADERS)[number];

/**
 * Who the token is, as headers for the service behind the proxy. `X-Latchkey-User-Id` is the owner of
 * a personal token or the maker of a team token (absent when that user was deleted); the team
 * headers are there for team tokens only.
 */
export function identityHeaders(token: VerifiedApiToken): Partial<Record<IdentityHeader, string>> {
  const { owner } = token;
  const userId = owner.kind === 'user' ? owner.userId : token.createdById;
  return {
    'X-Latchkey-Token-Id': String(token.id),
    'X-Latchkey-Owner': ownerKey(owner),
    ...(userId !== null ? { 'X-Latchkey-User-Id': String(userId) } : {}),
    ...(owner.kind === 'team' ? { 'X-Latchkey-Team-Id': String(owner.teamId) } : {}),
    ...(owner.kind === 'team' && token.team ? { 'X-Latchkey-Team-Slug': token.team.slug } : {}),
    'X-Latchkey-Scopes': token.scopes.join(' '),
  };
}

/**
 * The scopes the proxy requires: `?scope=` any number of times, each one required. A name this server
 * does not know is a 400 (a typo in a proxy's configuration would otherwise refuse every token as a
 * 403); any other parameter is a 400 naming it, as on every route.
 */
export function requiredScopes(query: Record<string, unknown>, knownScopes: readonly string[]): string[] {
  const { scope, ...others } = query;
  parseQuery(undefined, others);
  const asked = scope === undefined ? [] : Array.isArray(scope) ? scope : [scope];
  const unknown = asked.filter((name) => typeof name !== 'string' || !knownScopes.includes(name));
  if (unknown.length > 0) {
    const issues = unknown.slice(0, 20).map((name) => {
      const text = typeof name === 'string' ? JSON.stringify(name.slice(0, 100)) : 'the value';
      return { path: 'scope', message: `${text} is not a scope of this server` };
    });
    throw new AppError(AppErrorCode.INVALID_REQUEST, {
      message: `${issues[0]!.message}; known scopes: ${knownScopes.join(', ')}`,
      issues,
    });
  }
  return [...new Set(asked as string[])];
}

/** The answer to an accepted request: 200, no body, the identity headers (the rate-limit ones are set). */
export function sendAccepted(res: Response, token: VerifiedApiToken): void {
  for (const [name, value] of Object.entries(identityHeaders(token))) res.setHeader(name, value);
  res.status(200).end();
}

/** A refusal's JSON body, repeated as a header (see `copyErrorBodyToHeader`). */
export const ERROR_HEADER = 'X-Latchkey-Error';

/** JSON in ASCII only (anything else as `\uXXXX`), as a header value must be. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Repeats the JSON body of a refusal in `X-Latchkey-Error`: nginx's `auth_request` keeps only the
 * headers of the answer it asked for, and its configuration answers the client with this body.
 */
function copyErrorBodyToHeader(res: Response): void {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode >= 400) res.setHeader(ERROR_HEADER, asciiJson(body));
    return json(body);
  };
}

/** `/api/v1/forward-auth`, any method; the body, if any, is never read. */
export function forwardAuth(verifier: Verifier, knownScopes: readonly string[]): RequestHandler {
  return (req: Request, res: Response, next) => {
    copyErrorBodyToHeader(res);
    const ip = clientIp(req) ?? null;
    let scopes: string[];
    try {
      scopes = requiredScopes(req.url.includes('?') ? req.query : {}, knownScopes);
    } catch (error) {
      // Counted against the address like any other answer of /api/v1.
      return void verifier.limitClient(ip).then((limited) => {
        if (!limited.ok) return sendRefusal(res, limited);
        if (limited.rateLimit) setRateLimitHeaders(res, limited.rateLimit);
        next(error);
      }, next);
    }
    const options = { ip, userAgent: req.headers['user-agent'] ?? null, scopes };
    verifier.verify(tokenOfHeader(req.headers.authorization), options).then((verdict) => {
      if (!verdict.ok) return sendRefusal(res, verdict);
      if (verdict.rateLimit) setRateLimitHeaders(res, verdict.rateLimit);
      sendAccepted(res, verdict.token);
      // Rejected only when the store or the database failed: a 500.
    }, next);
  };
}
