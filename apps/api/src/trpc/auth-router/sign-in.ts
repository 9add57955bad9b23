import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createSession, isAppError, normalizeEmail, verifyUserCredentials } from '@latchkey/lib';
import { setRateLimitHeaders } from '../../http/rate-limit-headers';
import { setSessionCookie } from '../session-cookie';
import { publicProcedure } from '../trpc';

export const ZSignInInput = z.object({ email: z.string().max(254), password: z.string().max(256) });

const FIFTEEN_MINUTES = 15 * 60_000;

export const signIn = publicProcedure.input(ZSignInInput).mutation(async ({ ctx, input }) => {
  const rule = { name: 'sign-in-failures', limit: ctx.config.rateLimits.signInFailures, windowMs: FIFTEEN_MINUTES };
  const key = `${ctx.req.ip ?? 'unknown'}:${normalizeEmail(input.email)}`;
  const room = await ctx.limiter.check(rule, key);
  if (!room.allowed) {
    setRateLimitHeaders(ctx.res, room);
    ctx.res.setHeader('Retry-After', String(room.retryAfterSeconds));
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Too many failed sign-ins, please try again later.' });
  }
  try {
    const user = await verifyUserCredentials({
      db: ctx.db,
      clock: ctx.clock,
      email: input.email,
      password: input.password,
      audit: ctx.audit,
    });
    const audit = { ...ctx.audit, actor: { kind: 'user' as const, id: user.id, name: user.name } };
    const session = await createSession({ db: ctx.db, clock: ctx.clock, userId: user.id, audit });
    setSessionCookie(ctx.req, ctx.res, ctx.config, session.sessionId, session.expiresAt);
    return { user };
  } catch (error) {
    if (isAppError(error) && error.code === 'UNAUTHORIZED') await ctx.limiter.hit(rule, key);
    throw error;
  }
});
