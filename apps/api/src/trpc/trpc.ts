// tRPC for the web UI: context from the session cookie, AppError → tRPC codes, the per-IP limit,
// the same-origin rule for mutations, and `authenticatedProcedure`, which narrows ctx to a user.
import { initTRPC, TRPCError } from '@trpc/server';
import type { Request, Response } from 'express';
import { ZodError } from 'zod';
import {
  DEFAULT_MESSAGES,
  getSessionUser,
  isAppError,
  TRPC_CODE_BY_CODE,
  trpcTransformer,
  type AuditContext,
  type Clock,
  type Db,
  type PublicUser,
  type RateLimiter,
  type RateLimitRule,
} from '@latchkey/lib';
import type { Config } from '../config';
import { clientIp, clientLimitKey } from '../http/client-ip';
import { servedUnderLoopbackOrIp } from '../http/loopback-or-ip-host';
import { setRateLimitHeaders } from '../http/rate-limit-headers';
import { readSessionCookie } from './session-cookie';

export type TrpcDeps = { db: Db; clock: Clock; config: Config; limiter: RateLimiter };

export type Context = TrpcDeps & {
  req: Request;
  res: Response;
  user: PublicUser | null;
  sessionId: string | null;
  /** Who acts and from where, for the audit events of the procedure's changes. */
  audit: AuditContext;
};

export function createContextFactory(deps: TrpcDeps) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const sessionId = readSessionCookie(req, deps.config);
    const user = sessionId ? await getSessionUser({ db: deps.db, clock: deps.clock, sessionId }) : null;
    const userAgent = req.headers['user-agent'];
    const audit: AuditContext = {
      actor: user ? { kind: 'user', id: user.id, name: user.name } : undefined,
      ip: clientIp(req) ?? null,
      userAgent: typeof userAgent === 'string' ? userAgent : null,
    };
    return { ...deps, req, res, user, sessionId: user ? sessionId : null, audit };
  };
}

const t = initTRPC.context<Context>().create({
  transformer: trpcTransformer,
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const issues =
      cause instanceof ZodError
        ? cause.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
        : isAppError(cause)
          ? cause.issues
          : undefined;
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? 'Internal server error'
        : cause instanceof ZodError
          ? (cause.issues[0]?.message ?? 'Invalid input')
          : shape.message;
    return { ...shape, message, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, issues } };
  },
});

export const router = t.router;

/** AppErrors from the library become the matching tRPC error, message kept. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE_BY_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

const MINUTE = 60_000;

const perIpLimit = t.middleware(async ({ ctx, next }) => {
  const rule: RateLimitRule = { name: 'trpc-ip', limit: ctx.config.rateLimits.trpcPerMinute, windowMs: MINUTE };
  const result = await ctx.limiter.hit(rule, clientLimitKey(ctx.req));
  setRateLimitHeaders(ctx.res, result);
  if (!result.allowed) {
    ctx.res.setHeader('Retry-After', String(result.retryAfterSeconds));
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: DEFAULT_MESSAGES.TOO_MANY_REQUESTS });
  }
  return next();
});

export const NO_PUBLIC_URL_MESSAGE =
  'This server has no PUBLIC_URL, so it accepts changes only at localhost or an IP address; ' +
  'set PUBLIC_URL to the address people use to reach it';

/**
 * Mutations only from this site: a browser on another origin cannot act with the user's cookie.
 * Without PUBLIC_URL "this site" is whatever `Host` says, which a DNS-rebinding page chooses: then
 * only a loopback or IP-literal `Host` is trusted with a change (sign-up and sign-in included).
 */
const sameOriginMutations = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation') {
    if (!ctx.config.publicUrl && !servedUnderLoopbackOrIp(ctx.req)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: NO_PUBLIC_URL_MESSAGE });
    }
    const origin = ctx.req.headers.origin;
    const fetchSite = ctx.req.headers['sec-fetch-site'];
    const expected = ctx.config.publicUrl ?? `${ctx.req.protocol}://${ctx.req.get('host')}`;
    if ((typeof origin === 'string' && origin !== expected) || fetchSite === 'cross-site') {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-origin requests are not allowed' });
    }
  }
  return next();
});

export const publicProcedure = t.procedure.use(appErrors).use(perIpLimit).use(sameOriginMutations);

export const authenticatedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.sessionId) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { ...ctx, user: ctx.user, sessionId: ctx.sessionId } });
});
