// The express side of the route declarations: for each one, the token check it asks for, its body
// parser, the parsing of its inputs, and the encoding of its answer through the response schema. A
// known path asked with a method none of its routes serves is a 405 that lists the ones it does.
import express, { Router, type Request, type RequestHandler } from 'express';
import { AppError, AppErrorCode, type AuditContext } from '@latchkey/lib';
import { clientIp } from '../http/client-ip';
import { rejectDeepJson } from '../http/json-depth';
import { sendError } from '../http/send-error';
import type { ApiTokenAuth } from './authenticate';
import type { RestDeps, RestRoute } from './define-route';
import { parseJsonBody, parseTextFields } from './parse-request';

export const DEFAULT_BODY_LIMIT = 16 * 1024;

function auditOf(req: Request): AuditContext {
  const token = req.apiToken!;
  return {
    actor: { kind: 'token', id: token.id, name: token.name },
    ip: clientIp(req) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
  };
}

function handlerOf(route: RestRoute, deps: RestDeps): RequestHandler {
  return async (req, res) => {
    const reply = await route.handle({
      params: route.params ? parseTextFields(route.params, req.params) : undefined,
      query: route.query ? parseTextFields(route.query, req.query as Record<string, unknown>) : undefined,
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
  };
}

function methodNotAllowed(methods: string[]): RequestHandler {
  const allow = methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])).join(', ');
  return (req, res) => {
    res.setHeader('Allow', allow);
    sendError(
      res,
      new AppError(AppErrorCode.METHOD_NOT_ALLOWED, {
        message: `${req.path} does not take ${req.method}; it takes ${allow}`,
      }),
    );
  };
}

export function mountRoutes(routes: readonly RestRoute[], deps: RestDeps, auth: ApiTokenAuth): Router {
  const router = Router();
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    if (!('public' in route.access))
      chain.push(auth.requireApiToken(...(route.access.scope ? [route.access.scope] : [])));
    if (route.body) {
      const limit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
      chain.push(
        express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] }),
        rejectDeepJson,
      );
    }
    router[route.method](route.path, ...chain, handlerOf(route, deps));
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  }
  for (const [path, methods] of methodsByPath) router.all(path, methodNotAllowed(methods));
  return router;
}
