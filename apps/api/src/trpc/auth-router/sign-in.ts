import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createSession, isAppError, normalizeEmail, verifyUserCredentials, type RateLimitResult } from '@latchkey/lib';
import { clientLimitKey } from '../../http/client-ip';
import { setRateLimitHeaders } from '../../http/rate-limit-headers';
import { setSessionCookie } from '../session-cookie';
import { publicProcedure, type Context } from '../trpc';

export const ZSignInInput = z.object({ email: z.string().max(254), password: z.string().max(256) });

const FIFTEEN_MINUTES = 15 * 60_000;

function tooManySignIns(ctx: Context, refused: RateLimitResult): TRPCError {
  setRateLimitHeaders(ctx.res, refused);
  ctx.res.setHeader('Retry-After', String(refused.retryAfterSeconds));
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Too many failed sign-ins, please try again later.' });
}

/**
 * Two budgets of failed sign-ins: per address and e-mail (RATE_LIMIT_SIGN_IN_FAILURES), and per
 * account (RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT), which stops guessing spread over many addresses.
 * Each attempt is counted against both before its password is checked, so parallel attempts cannot
 * get more checks than the budget; a sign-in that is no failure gives its counts back.
 */
export const signIn = publicProcedure.input(ZSignInInput).mutation(async ({ ctx, input }) => {
  const { signInFailures, signInFailuresPerAccount } = ctx.config.rateLimits;
  const perAddress = { name: 'sign-in-failures', limit: signInFailures, windowMs: FIFTEEN_MINUTES };
  const perAccount = { name: 'sign-in-account-failures', limit: signInFailuresPerAccount, windowMs: FIFTEEN_MINUTES };
  const email = normalizeEmail(input.email);
  const addressKey = `${clientLimitKey(ctx.req)}:${email}`;
  // The account is counted only while the address has room: an address held back does not use up
  // the account's budget for everyone else.
  const [fromAddress, onAccount] = await ctx.limiter.hitThenHit(perAddress, addressKey, perAccount, email);
  if (!fromAddress.allowed) throw tooManySignIns(ctx, fromAddress);
  if (!onAccount!.allowed) throw tooManySignIns(ctx, onAccount!);
  const refund = () =>
    Promise.all([
      ctx.limiter.refund(perAddress, addressKey, fromAddress),
      ctx.limiter.refund(perAccount, email, onAccount!),
    ]);
  let user;
  try {
    user = await verifyUserCredentials({
      db: ctx.db,
      clock: ctx.clock,
      email: input.email,
      password: input.password,
      audit: ctx.audit,
    });
  } catch (error) {
    // Only a refused password (or a disabled account) is a failure; anything else gives its counts back.
    if (!(isAppError(error) && error.code === 'UNAUTHORIZED')) await refund();
    throw error;
  }
  await refund();
  const audit = { ...ctx.audit, actor: { kind: 'user' as const, id: user.id, name: user.name } };
  const session = await createSession({ db: ctx.db, clock: ctx.clock, userId: user.id, audit });
  setSessionCookie(ctx.req, ctx.res, ctx.config, session.sessionId, session.expiresAt);
  return { user };
});
