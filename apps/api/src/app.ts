// createApp(deps): the whole HTTP server as an express app, built only from what it is given.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { createServiceClientAuthenticator, type Latchkey } from '@latchkey/lib';
import type { Config } from './config';
import { apiNotFound, errorHandler } from './http/error-handler';
import { guardRequestBodies } from './http/guard-request-bodies';
import { createLogger } from './http/logger';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import { isSourceMapPath, looksLikeFile, staticFileNotFound } from './http/static-files';
import {
  authorizationServerMetadata,
  DISCOVERY_PATH,
  INTROSPECTION_PATH,
} from './introspection/authorization-server-metadata';
import { createIntrospectionCheck } from './introspection/check-introspected-token';
import { introspectionEndpoint } from './introspection/introspection-endpoint';
import { docsRouter } from './rest/docs-page';
import { FORWARD_AUTH_PATH, forwardAuth } from './rest/forward-auth';
import { mountRoutes } from './rest/mount-routes';
import { buildOpenApiDocument } from './rest/openapi';
import { REST_ROUTES } from './rest/routes/index';
import { appRouter } from './trpc/router';
import { trpcExpressHandler } from './trpc/express-handler';
import { createContextFactory } from './trpc/trpc';

export type AppDeps = {
  /**
   * The runtime (`createLatchkey`): database, clock, scopes, limits, the verifier and what it keeps.
   * The caller made it and closes it, after the server.
   */
  latchkey: Latchkey;
  config: Config;
  logger?: Logger;
  /** The built web UI to serve at `/`; null serves none. Defaults to apps/web/dist. */
  webDist?: string | null;
};

const FETCH_FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export function createApp(deps: AppDeps) {
  const { latchkey, config } = deps;
  const { db, clock, limiter, rateLimitStore } = latchkey;
  const allowedScopes = latchkey.scopes;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const openApi = buildOpenApiDocument(REST_ROUTES, { serverUrl: config.publicUrl ?? '', scopes: config.scopes });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  app.use(requestLog(logger));
  app.use(securityHeaders);
  app.use(guardRequestBodies);
  // All of /api/v1 in one handler that finds the route itself (mount-routes.ts). CORS and the
  // per-IP limit come first, so every answer (a 401, a refused body, a 404) is counted and carries
  // the CORS and X-RateLimit-* headers every /api/v1 response has; each route parses its own body.
  const restDeps = {
    db,
    clock,
    // Every adapter knows the same scopes: the config's (TOKEN_SCOPES, or an embedder's createScopeSet).
    allowedScopes,
    instanceMaxLifetimeDays: config.tokenMaxLifetimeDays,
    maxTokensPerOwner: config.tokenMaxPerOwner,
    limiter,
    credentialRevokePerHour: config.rateLimits.credentialRevokePerHour,
    openApi: openApi as unknown as Record<string, unknown>,
  };
  // Reverse proxies ask here before letting a request through to a service (any method, no body read).
  app.all(FORWARD_AUTH_PATH, forwardAuth(latchkey.verifier, allowedScopes));
  // Introspection and its discovery document: before the rest of /api/v1, so that its callers (services,
  // each one address for all its users) are limited per service client, never per address.
  app.get(DISCOVERY_PATH, authorizationServerMetadata(config.publicUrl));
  app.all(
    INTROSPECTION_PATH,
    introspectionEndpoint({
      authenticateClient: createServiceClientAuthenticator({ db, clock }),
      check: createIntrospectionCheck(latchkey.verifier),
      limiter,
      perMinute: config.rateLimits.servicePerMinute,
      publicUrl: config.publicUrl,
    }),
  );
  app.use(mountRoutes(REST_ROUTES, restDeps, latchkey.verifier));

  app.get('/api/health', async (_req, res) => {
    try {
      await sql`select 1`.execute(db);
      // Still 200: with the shared counters away, every server goes on with its own.
      if (rateLimitStore.reachable && !rateLimitStore.reachable())
        res.json({ status: 'degraded', redis: 'unreachable' });
      else res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  const trpcHandler = trpcExpressHandler({
    router: appRouter,
    createContext: createContextFactory({ db, clock, config, limiter }),
    onError({ error, req }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        req.log?.error({ err: error.cause ?? error }, 'tRPC procedure failed');
    },
    maxBatchSize: 20,
  });
  // tRPC turns each request into a fetch Request, which throws on these methods (a 500); they get
  // the JSON 404 instead, as on every other /api path. The handler reads the body itself.
  app.use('/api/trpc', (req, res, next) =>
    FETCH_FORBIDDEN_METHODS.has(req.method) ? next() : trpcHandler(req, res, next),
  );

  // No source map is served, of the UI or of anything else (the API reference's bundle ships some).
  app.use((req, res, next) => (isSourceMapPath(req.path) ? staticFileNotFound(req, res) : next()));
  app.use('/api/docs', docsRouter());
  app.use('/api', apiNotFound);

  const webDist = deps.webDist === undefined ? DEFAULT_WEB_DIST : deps.webDist;
  if (webDist && fs.existsSync(path.join(webDist, 'index.html'))) {
    const index = path.join(webDist, 'index.html');
    app.use(express.static(webDist, { index: false, maxAge: '1h' }));
    // Client-side routes: every other GET of a page gets the app; a file that is not there is a 404.
    app.get(/.*/, (req, res) => (looksLikeFile(req.path) ? staticFileNotFound(req, res) : res.sendFile(index)));
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text')
        .send(
          'Latchkey API is running. The web UI is not built: run `pnpm build`, then restart.\n' +
            'API reference: /api/docs\n',
        );
    });
  }
  app.use(errorHandler);

  return Object.assign(app, { latchkey, logger });
}

export type LatchkeyApp = ReturnType<typeof createApp>;
