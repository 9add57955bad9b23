// @latchkey/api: the server, for embedding and tests (other services check tokens with @latchkey/lib's createLatchkey).
export { createApp, type AppDeps, type LatchkeyApp } from './app';
export { loadConfig, defaultConfig, type Config } from './config';
export { buildOpenApiDocument } from './rest/openapi';
export { REST_ROUTES } from './rest/routes/index';
export { defineRoute, type RestRoute } from './rest/define-route';
export type { AppRouter } from './trpc/router';
