// The verifier as express-style middleware, for a service that embeds Latchkey: `(req, res, next)`
// on plain node `http` objects (express's are those, extended), so the library needs no express.
// It translates the verdict and nothing else: the refusal's status, JSON body and headers; the
// accepted token on `req.apiToken`. A failure of the database or the limits' store is a JSON 500
// without a stack (told to `onError`), never an exception handed to a framework that might print one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAuthorizationHeader } from '../../universal/parse-authorization-header.js';
import type { RateLimitResult } from '../rate-limit/rate-limiter.js';
import type { Verdict, VerifiedApiToken, Verifier, VerifyOptions } from './verifier.js';

/** A request as the middleware reads it: express's `req.ip` (trust-proxy rules applied) when there is one. */
export type TokenRequest = IncomingMessage & { ip?: string; apiToken?: VerifiedApiToken };

export type TokenMiddleware = (req: TokenRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Sets `X-RateLimit-*` from a verdict's limit. */
export function setRateLimitHeaders(res: ServerResponse, limit: RateLimitResult): void {
  res.setHeader('X-RateLimit-Limit', String(limit.limit));
  res.setHeader('X-RateLimit-Remaining', String(limit.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(limit.resetAt / 1000)));
}

/** Writes a refusal as the REST API does: its status, headers and `{ code, message }`. */
export function sendRefusal(res: ServerResponse, verdict: Extract<Verdict, { ok: false }>): void {
  if (verdict.rateLimit) setRateLimitHeaders(res, verdict.rateLimit);
  if (verdict.retryAfter !== undefined) res.setHeader('Retry-After', String(verdict.retryAfter));
  if (verdict.wwwAuthenticate) res.setHeader('WWW-Authenticate', verdict.wwwAuthenticate);
  sendJson(res, verdict.status, { code: verdict.code, message: verdict.message });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** The token of an `Authorization` header, for `verify`: undefined when none was sent, '' when it is malformed. */
export function tokenOfHeader(header: string | string[] | undefined): string | undefined {
  const parsed = parseAuthorizationHeader(header);
  if (parsed.ok) return parsed.token;
  return parsed.reason === 'missing' ? undefined : '';
}

export function createRequireToken(
  verifier: Verifier,
  onError?: (error: unknown) => void,
): (...scopes: string[]) => TokenMiddleware {
  return (...scopes) => {
    const base: VerifyOptions = { scopes };
    return (req, res, next) => {
      const options = {
        ...base,
        ip: req.ip ?? req.socket?.remoteAddress ?? null,
        userAgent: req.headers['user-agent'] ?? null,
      };
      verifier.verify(tokenOfHeader(req.headers.authorization), options).then(
        (verdict) => {
          if (!verdict.ok) return sendRefusal(res, verdict);
          if (verdict.rateLimit) setRateLimitHeaders(res, verdict.rateLimit);
          req.apiToken = verdict.token;
          // A request that passed and was then answered 4xx or 5xx counts as failed in the token's usage.
          res.once('finish', () => {
            if (res.statusCode >= 400) verifier.failed(verdict.token);
          });
          next();
        },
        (error: unknown) => {
          onError?.(error);
          if (!res.headersSent) sendJson(res, 500, { code: 'INTERNAL_ERROR', message: 'Internal server error' });
        },
      );
    };
  };
}
