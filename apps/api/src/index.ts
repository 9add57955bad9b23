// @latchkey/api: the server, for embedding and tests; and the middleware other express apps use.
export { createApp, type AppDeps, type LatchkeyApp } from './app';
export { loadConfig, defaultConfig, type Config } from './config';
export { createApiTokenAuth, type ApiTokenAuth, type ApiTokenAuthOptions } from './rest/authenticate';
export { buildOpenApiDocument } from './rest/openapi';
export { REST_ROUTES } from './rest/routes/index';
export { defineRoute, type RestRoute } from './rest/define-route';
export type { AppRouter } from './trpc/router';
