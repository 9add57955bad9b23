// POST /api/v1/introspect (RFC 7662): a service asks whether a token is active and whose it is.
// This file is the protocol: the form body, the service client's credentials (client_secret_basic
// or client_secret_post, RFC 6749 2.3.1), its limit, and the answer's shape. Whether the token is
// good is asked of `check` (check-introspected-token.ts). Every failure of the token itself is the
// same `{"active":false}`, so the answer never says why. Limits are per service client, never per
// address: the service is one address for all its callers, and one bad caller must not lock it out.
import type { Request, RequestHandler, Response } from 'express';
import { isIP } from 'node:net';
import {
  AppError,
  AppErrorCode,
  clientAddress,
  type RateLimiter,
  type RateLimitRule,
  type ServiceClientAuthenticator,
  type VerifiedApiToken,
} from '@latchkey/lib';
// The answer's type is the one @latchkey/client promises its users, so the two cannot drift apart.
import type { ActiveIntrospection } from '@latchkey/client';
import { readBodyText, refuseFormBody, JSON_BODY_LIMIT } from '../http/request-body';
import { sendTooManyRequests, setRateLimitHeaders } from '../http/rate-limit-headers';
import { sendError } from '../http/send-error';
import { issuerOf } from './authorization-server-metadata';
import type { CheckIntrospectedToken } from './check-introspected-token';

/** Form bodies are held to the limit of every JSON route. */
export const INTROSPECTION_BODY_LIMIT = JSON_BODY_LIMIT;

export type IntrospectionDeps = {
  authenticateClient: ServiceClientAuthenticator;
  check: CheckIntrospectedToken;
  limiter: RateLimiter;
  /** RATE_LIMIT_SERVICE_PER_MINUTE: requests per service client per minute. */
  perMinute: number;
  publicUrl: string | null;
};

const INACTIVE = Object.freeze({ active: false });
const PARAMETERS = ['token', 'token_type_hint', 'client_ip', 'client_id', 'client_secret'] as const;
type Form = Partial<Record<(typeof PARAMETERS)[number], string>>;

const seconds = (ms: number) => Math.floor(ms / 1000);

export function toActiveIntrospection(token: VerifiedApiToken, issuer: string | null): ActiveIntrospection {
  const team = token.owner.kind === 'team' ? token.team : null;
  return {
    active: true,
    scope: token.scopes.join(' '),
    token_type: 'Bearer',
    sub: token.owner.kind === 'team' ? `team:${token.owner.teamId}` : `user:${token.owner.userId}`,
    // The owner's e-mail, or the team's slug.
    username: team ? team.slug : token.user?.email,
    iat: seconds(token.createdAt),
    ...(token.expiresAt === null ? {} : { exp: seconds(token.expiresAt) }),
    ...(issuer === null ? {} : { iss: issuer }),
    jti: String(token.id),
    latchkey: {
      tokenId: token.id,
      name: token.name,
      userId: token.user?.id ?? null,
      teamId: team?.id ?? null,
      teamSlug: team?.slug ?? null,
      allowedIps: [...token.allowedIps],
    },
  };
}

function oauthError(res: Response, status: 400 | 401, error: string, description?: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="latchkey"');
  res.status(status).json(description === undefined ? { error } : { error, error_description: description });
}

/** The known parameters of the form; a parameter given twice is refused (RFC 6749 3.1), unknown ones ignored. */
function parseForm(text: string): Form | { twice: string } {
  const params = new URLSearchParams(text);
  const form: Form = {};
  for (const name of PARAMETERS) {
    const values = params.getAll(name);
    if (values.length > 1) return { twice: name };
    if (values.length === 1) form[name] = values[0];
  }
  return form;
}

/** A part of Basic credentials, form-decoded as RFC 6749 2.3.1 asks; null if it does not decode. */
function formDecoded(text: string): string | null {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

type Credentials = { clientId: string; clientSecret: string } | { invalid: true } | { twoMethods: true };

function credentialsOf(authorization: string | undefined, form: Form): Credentials {
  if (authorization !== undefined) {
    if (form.client_secret !== undefined) return { twoMethods: true };
    const basic = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
    if (!basic) return { invalid: true };
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return { invalid: true };
    const clientId = formDecoded(decoded.slice(0, colon));
    const clientSecret = formDecoded(decoded.slice(colon + 1));
    if (clientId === null || clientSecret === null) return { invalid: true };
    // A client_id in the body beside Basic credentials must name the same client.
    if (form.client_id !== undefined && form.client_id !== clientId) return { twoMethods: true };
    return { clientId, clientSecret };
  }
  if (form.client_id === undefined || form.client_secret === undefined) return { invalid: true };
  return { clientId: form.client_id, clientSecret: form.client_secret };
}

export function introspectionEndpoint(deps: IntrospectionDeps): RequestHandler {
  const { authenticateClient, check, limiter, publicUrl } = deps;
  const rule: RateLimitRule = { name: 'introspection-client', limit: deps.perMinute, windowMs: 60_000 };

  async function answer(req: Request, res: Response): Promise<void> {
    const form = parseForm(await readBodyText(req, INTROSPECTION_BODY_LIMIT));
    if ('twice' in form) return oauthError(res, 400, 'invalid_request', `${form.twice} is given more than once`);
    const credentials = credentialsOf(req.headers.authorization, form);
    if ('twoMethods' in credentials)
      return oauthError(res, 400, 'invalid_request', 'Authenticate the client one way: Basic or the form, not both');
    if ('invalid' in credentials) return oauthError(res, 401, 'invalid_client');
    const client = await authenticateClient(credentials.clientId, credentials.clientSecret);
    if (!client) return oauthError(res, 401, 'invalid_client');

    const limit = await limiter.hit(rule, `service:${client.id}`);
    if (!limit.allowed) return sendTooManyRequests(res, limit);
    setRateLimitHeaders(res, limit);

    const { token, client_ip: rawIp } = form;
    if (token === undefined || token === '') return oauthError(res, 400, 'invalid_request', 'token is required');
    let ip: string | null = null;
    if (rawIp !== undefined) {
      if (isIP(rawIp.trim()) === 0)
        return oauthError(res, 400, 'invalid_request', 'client_ip must be an IPv4 or IPv6 address');
      ip = clientAddress(rawIp.trim()).ip;
    }
    const verdict = await check(token, { ip, userAgent: req.headers['user-agent'] ?? null });
    res.json(verdict.ok ? toActiveIntrospection(verdict.token, issuerOf(req, publicUrl)) : INACTIVE);
  }

  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      const message = `/introspect does not take ${req.method}; it takes POST`;
      return sendError(res, new AppError(AppErrorCode.METHOD_NOT_ALLOWED, { message }));
    }
    const refusal = refuseFormBody(req, INTROSPECTION_BODY_LIMIT);
    if (refusal) return sendError(res, refusal);
    answer(req, res).catch(next);
  };
}
