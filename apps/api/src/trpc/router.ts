// The tRPC router the web UI calls; its type is what typed clients import.
import { apiTokenRouter } from './api-token-router/router';
import { auditRouter } from './audit-router/router';
import { authRouter } from './auth-router/router';
import { teamRouter } from './team-router/router';
import { router } from './trpc';

export const appRouter = router({ auth: authRouter, team: teamRouter, apiToken: apiTokenRouter, audit: auditRouter });

export type AppRouter = typeof appRouter;
