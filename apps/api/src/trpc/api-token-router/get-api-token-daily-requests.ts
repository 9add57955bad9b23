import { z } from 'zod';
import { getApiTokenDailyRequests as getApiTokenDailyRequestsInLib, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenDailyRequestsRequest = z.object({
  teamId: ZTeamId,
  days: z.number().int().min(1).max(31).optional(),
});

/** For the token list's sparklines: requests per day of every token of the owner, in one call. */
export const getApiTokenDailyRequests = authenticatedProcedure
  .input(ZGetApiTokenDailyRequestsRequest)
  .query(({ ctx, input }) =>
    getApiTokenDailyRequestsInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, ...input }),
  );
