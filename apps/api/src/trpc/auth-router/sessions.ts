// The account's signed-in sessions, and "sign out everywhere else".
import { getAccountSessions, signOutOtherSessions } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const getSessions = authenticatedProcedure.query(({ ctx }) =>
  getAccountSessions({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, currentSessionId: ctx.sessionId }),
);

export const signOutOthers = authenticatedProcedure.mutation(({ ctx }) =>
  signOutOtherSessions({
    db: ctx.db,
    clock: ctx.clock,
    userId: ctx.user.id,
    currentSessionId: ctx.sessionId,
    audit: ctx.audit,
  }),
);
