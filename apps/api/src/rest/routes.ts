// The public REST API: each route checks the token and its scope, parses input with the shared
// schema, calls one library function and shapes the answer.
import { Router, type Request, type RequestHandler } from 'express';
import {
  AppError,
  AppErrorCode,
  createApiToken,
  deleteApiTokenById,
  getApiTokenById,
  getApiTokens,
  parseInput,
  rotateApiToken,
  ZRestCreateTokenBody,
  ZRestListTokensQuery,
  ZRestRotateTokenBody,
  ZRestTokenIdParam,
  type AuditContext,
  type Clock,
  type Db,
  type VerifiedApiToken,
} from '@latchkey/lib';
import { clientIp } from '../http/client-ip';
import type { ApiTokenAuth } from './authenticate';
import { restCreatedToken, restMe, restTokenMetadata } from './serialize';

export type RestDeps = { db: Db; clock: Clock; auth: ApiTokenAuth; allowedScopes: readonly string[] };

function tokenOf(req: Request): VerifiedApiToken {
  if (!req.apiToken) throw new AppError(AppErrorCode.UNAUTHORIZED, { message: 'API token was not provided' });
  return req.apiToken;
}

/** The requesting token as the actor of an audit event, with the client's address and user agent. */
function auditOf(req: Request): AuditContext {
  const token = tokenOf(req);
  const userAgent = req.headers['user-agent'];
  return { actor: { kind: 'token', id: token.id, name: token.name }, ip: clientIp(req) ?? null, userAgent: userAgent ?? null };
}

/** `:id` as a number; `self` is the requesting token. */
function tokenId(req: Request): number {
  const id = parseInput(ZRestTokenIdParam, req.params.id, AppErrorCode.INVALID_REQUEST);
  return id === 'self' ? tokenOf(req).id : Number(id);
}

/** A JSON object body; an absent body counts as `{}`. */
function jsonBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined) {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > 0 || req.headers['transfer-encoding']) {
      throw new AppError(AppErrorCode.INVALID_BODY, { message: 'Send the body as JSON with Content-Type: application/json' });
    }
    return {};
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(AppErrorCode.INVALID_BODY, { message: 'Request body must be a JSON object' });
  }
  return body as Record<string, unknown>;
}

export function createRestRouter({ db, clock, auth, allowedScopes }: RestDeps): Router {
  const router = Router();
  const read = auth.requireApiToken('tokens:read');
  const write = auth.requireApiToken('tokens:write');
  const any: RequestHandler = auth.requireApiToken();

  router.get('/me', any, (req, res) => {
    res.json(restMe(tokenOf(req)));
  });

  router.get('/tokens', read, async (req, res) => {
    const query = parseInput(ZRestListTokensQuery, req.query, AppErrorCode.INVALID_REQUEST);
    const page = await getApiTokens({ db, clock, viaToken: tokenOf(req), limit: query.limit ?? 50, cursor: query.cursor });
    res.json({ tokens: page.tokens.map(restTokenMetadata), nextCursor: page.nextCursor });
  });

  router.post('/tokens', write, async (req, res) => {
    const body = parseInput(ZRestCreateTokenBody, jsonBody(req));
    const created = await createApiToken({ db, clock, viaToken: tokenOf(req), allowedScopes, audit: auditOf(req), ...body });
    res.status(201).json(restCreatedToken(created));
  });

  router.get('/tokens/:id', read, async (req, res) => {
    const token = await getApiTokenById({ db, clock, viaToken: tokenOf(req), id: tokenId(req) });
    res.json(restTokenMetadata(token));
  });

  router.delete('/tokens/:id', write, async (req, res) => {
    await deleteApiTokenById({ db, clock, viaToken: tokenOf(req), id: tokenId(req), audit: auditOf(req) });
    res.status(204).end();
  });

  router.post('/tokens/:id/rotate', write, async (req, res) => {
    const body = parseInput(ZRestRotateTokenBody, jsonBody(req));
    const { gracePeriodSeconds } = body;
    const rotated = await rotateApiToken({ db, clock, viaToken: tokenOf(req), id: tokenId(req), gracePeriodSeconds, audit: auditOf(req) });
    res.status(201).json(restCreatedToken(rotated));
  });

  return router;
}
