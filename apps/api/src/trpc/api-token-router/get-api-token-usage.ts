import { getApiTokenUsage as getApiTokenUsageInLib, ZApiTokenUsageRange, ZId, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenUsageRequest = ZApiTokenUsageRange.extend({ id: ZId, teamId: ZTeamId });

// No output schema: the library builds exactly this shape, and checking 745 buckets again cost a
// tenth of the call.
export const getApiTokenUsage = authenticatedProcedure
  .input(ZGetApiTokenUsageRequest)
  .query(({ ctx, input }) => getApiTokenUsageInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, ...input }));
