// The express side of the route declarations: all of /api/v1 as one request handler. It finds the
// route itself (a Map for fixed paths, path-to-regexp with express's own options for the others),
// then runs the route's token check, its body parser, the parsing of its inputs and the encoding of
// its answer through the response schema. Express's nested routers would do the same finding for
// a few microseconds more on every API request. A known path asked with a method none of its
// routes serves is a 405 that lists the ones it does; an unknown path goes on to the JSON 404.
// Every route takes JSON bodies only (one that takes none does not read it): anything else is a
// 415, and a body over the route's limit a 413, answered before it is read.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { match, type MatchFunction } from 'path-to-regexp';
import {
  AppError,
  AppErrorCode,
  tokenOfHeader,
  type AuditContext,
  type VerifiedApiToken,
  type Verifier,
} from '@latchkey/lib';
import { clientIp } from '../http/client-ip';
import { rejectDeepJson } from '../http/json-depth';
import { JSON_BODY_LIMIT, readJsonBody, refuseJsonBody } from '../http/request-body';
import { sendRefusal, setRateLimitHeaders } from '../http/rate-limit-headers';
import { sendError } from '../http/send-error';
import type { RestDeps, RestRoute } from './define-route';
import { parseJsonBody, parseQuery, parseTextFields } from './parse-request';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set once the request's token has passed the verifier. */
      apiToken?: VerifiedApiToken;
    }
  }
}

export const DEFAULT_BODY_LIMIT = JSON_BODY_LIMIT;

export const API_PREFIX = '/api/v1';

const NO_QUERY: Record<string, unknown> = Object.freeze({});

/** A declared route, ready to run: its scopes (null for a public route) and the largest body it takes. */
type MountedRoute = { route: RestRoute; scopes: readonly string[] | null; bodyLimit: number };

/** The routes of one declared path, by method. */
type PathRoutes = { methods: Map<string, MountedRoute>; allow: string };

function auditOf(req: Request): AuditContext {
  const token = req.apiToken!;
  return {
    actor: { kind: 'token', id: token.id, name: token.name },
    ip: clientIp(req) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
  };
}

async function handle(route: RestRoute, deps: RestDeps, req: Request, res: Response): Promise<void> {
  const reply = await route.handle({
    params: route.params ? parseTextFields(route.params, req.params) : undefined,
    // A URL without a query string is not handed to the query parser (most token requests have none).
    query: parseQuery(route.query, req.url.includes('?') ? (req.query as Record<string, unknown>) : NO_QUERY),
    body: route.body ? parseJsonBody(route.body, req) : undefined,
    deps,
    req,
    res,
    token: req.apiToken,
    audit: () => auditOf(req),
  });
  const schema = route.responses[reply.status]?.schema;
  res.status(reply.status);
  if (schema && 'body' in reply) res.json(schema.parse(reply.body));
  else res.end();
}

/** CORS for the token API: any origin may call it; no cookies are involved, so none are allowed. */
function cors(req: Request, res: Response): 'answered' | undefined {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader(
    'Access-Control-Expose-Headers',
    'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, WWW-Authenticate, X-Request-Id',
  );
  if (req.method !== 'OPTIONS') return undefined;
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
  return 'answered';
}

/** The part of `path` after /api/v1 (matched as express matches a mount path, any case), or null. */
function pathInApi(path: string): string | null {
  if (path.length < API_PREFIX.length || path.slice(0, API_PREFIX.length).toLowerCase() !== API_PREFIX) return null;
  const rest = path.slice(API_PREFIX.length);
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : null;
}

/**
 * Declared paths in order, each with a matcher that treats a request path as express does (any
 * case, one trailing slash, parameters percent-decoded: a bad escape throws a URIError, a 400).
 */
function compile(routes: readonly RestRoute[]) {
  const byPath = new Map<string, PathRoutes>();
  for (const route of routes) {
    const scopes = 'public' in route.access ? null : route.access.scope ? [route.access.scope] : [];
    const bodyLimit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const routesOfPath = byPath.get(route.path) ?? { methods: new Map(), allow: '' };
    routesOfPath.methods.set(route.method.toUpperCase(), { route, scopes, bodyLimit });
    byPath.set(route.path, routesOfPath);
  }
  const patterns: Array<{ match: MatchFunction<Record<string, string>>; routes: PathRoutes }> = [];
  for (const [path, routesOfPath] of byPath) {
    const methods = [...routesOfPath.methods.keys()];
    routesOfPath.allow = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
    patterns.push({
      match: match<Record<string, string>>(path, { sensitive: false, end: true, trailing: true, decode: decodeParam }),
      routes: routesOfPath,
    });
  }

  /** The routes of the path and its parameters; a fixed path as declared is found without a match. */
  function find(path: string): { routes: PathRoutes; params: Record<string, string> } | undefined {
    const exact = byPath.get(path);
    if (exact && !path.includes(':')) return { routes: exact, params: {} };
    for (const pattern of patterns) {
      const found = pattern.match(path);
      if (found) return { routes: pattern.routes, params: found.params };
    }
    return undefined;
  }

  return find;
}

function decodeParam(value: string): string {
  return value.includes('%') ? decodeURIComponent(value) : value;
}

export function mountRoutes(routes: readonly RestRoute[], deps: RestDeps, verifier: Verifier): RequestHandler {
  const find = compile(routes);

  /** Counts a request without a token check against its address (429 past the limit), then `next`. */
  function limitClient(req: Request, res: Response, next: () => void): Promise<void> {
    return verifier.limitClient(clientIp(req)).then((limited) => {
      if (!limited.ok) return sendRefusal(res, limited);
      if (limited.rateLimit) setRateLimitHeaders(res, limited.rateLimit);
      next();
    });
  }

  /** The route's body, then its handler; an answer other than the handler's counts as failed. */
  function run(mounted: MountedRoute, req: Request, res: Response, next: NextFunction) {
    const token = req.apiToken;
    const fail = (error: unknown) => {
      if (token) verifier.failed(token);
      next(error);
    };
    const go = () => void handle(mounted.route, deps, req, res).catch(fail);
    const refusal = refuseJsonBody(req, mounted.bodyLimit, 'application/json and +json');
    if (refusal) return fail(refusal);
    if (!mounted.route.body) return go();
    readJsonBody(req, mounted.bodyLimit).then((body) => {
      req.body = body;
      let shallow = false;
      rejectDeepJson(req, res, () => (shallow = true));
      // Otherwise rejectDeepJson has answered 400.
      if (shallow) go();
      else if (token) verifier.failed(token);
    }, fail);
  }

  function methodNotAllowed(routesOfPath: PathRoutes, req: Request, res: Response) {
    res.setHeader('Allow', routesOfPath.allow);
    sendError(
      res,
      new AppError(AppErrorCode.METHOD_NOT_ALLOWED, {
        message: `${req.path.slice(API_PREFIX.length)} does not take ${req.method}; it takes ${routesOfPath.allow}`,
      }),
    );
  }

  return (req, res, next) => {
    const path = pathInApi(req.path);
    if (path === null) return next();
    if (cors(req, res)) return;
    let found: ReturnType<typeof find>;
    try {
      found = find(path);
    } catch (error) {
      // A bad escape in a parameter (URIError): counted against the address like any answer here.
      return void limitClient(req, res, () => next(error)).catch(next);
    }
    // Express serves HEAD with a GET route, and so does this.
    const mounted = found?.routes.methods.get(req.method === 'HEAD' ? 'GET' : req.method);
    if (!found || !mounted || mounted.scopes === null) {
      // No token check here: the per-IP limit counts it (with the address's failures), then the
      // public route, the 405 or the JSON 404 answers.
      return void limitClient(req, res, () => {
        if (!found) return next();
        if (!mounted) return methodNotAllowed(found.routes, req, res);
        req.params = found.params;
        return run(mounted, req, res, next);
      }).catch(next);
    }
    req.params = found.params;
    const options = { ip: clientIp(req) ?? null, userAgent: req.headers['user-agent'] ?? null, scopes: mounted.scopes };
    verifier.verify(tokenOfHeader(req.headers.authorization), options).then((verdict) => {
      if (!verdict.ok) return sendRefusal(res, verdict);
      if (verdict.rateLimit) setRateLimitHeaders(res, verdict.rateLimit);
      req.apiToken = verdict.token;
      run(mounted, req, res, next);
      // Rejected only when the store or the database failed: a 500.
    }, next);
  };
}
