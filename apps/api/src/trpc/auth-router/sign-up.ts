import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createSession, createUser, ZEmail, ZPassword, ZUserName } from '@latchkey/lib';
import { setSessionCookie } from '../session-cookie';
import { publicProcedure } from '../trpc';

export const ZSignUpInput = z.object({ name: ZUserName, email: ZEmail, password: ZPassword });

export const signUp = publicProcedure.input(ZSignUpInput).mutation(async ({ ctx, input }) => {
  if (!ctx.config.allowSignup) throw new TRPCError({ code: 'FORBIDDEN', message: 'Sign-up is closed on this server' });
  const user = await createUser({ db: ctx.db, clock: ctx.clock, ...input });
  const audit = { ...ctx.audit, actor: { kind: 'user' as const, id: user.id, name: user.name } };
  const session = await createSession({ db: ctx.db, clock: ctx.clock, userId: user.id, audit });
  setSessionCookie(ctx.req, ctx.res, ctx.config, session.sessionId, session.expiresAt);
  return { user };
});
