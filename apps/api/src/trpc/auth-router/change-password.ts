import { changePassword as changePasswordInLib, ZChangePasswordInput } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

/** The current password is required; every other session of the account ends, this one stays. */
export const changePassword = authenticatedProcedure.input(ZChangePasswordInput).mutation(({ ctx, input }) =>
  changePasswordInLib({
    db: ctx.db,
    clock: ctx.clock,
    userId: ctx.user.id,
    currentSessionId: ctx.sessionId,
    audit: ctx.audit,
    ...input,
  }),
);
