import { deleteSession } from '@latchkey/lib';
import { clearSessionCookie } from '../session-cookie';
import { publicProcedure } from '../trpc';

export const signOut = publicProcedure.mutation(async ({ ctx }) => {
  if (ctx.sessionId) await deleteSession({ db: ctx.db, sessionId: ctx.sessionId });
  clearSessionCookie(ctx.req, ctx.res, ctx.config);
  return { ok: true as const };
});
