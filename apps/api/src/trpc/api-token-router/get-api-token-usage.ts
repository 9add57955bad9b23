import {
  CompactUsage,
  getApiTokenUsage as getApiTokenUsageInLib,
  ZApiTokenUsageRange,
  ZId,
  ZTeamId,
} from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenUsageRequest = ZApiTokenUsageRange.extend({ id: ZId, teamId: ZTeamId });

// No output schema: the library builds exactly this shape, and checking 745 buckets again cost a
// tenth of the call. The answer crosses as columns (CompactUsage, in the shared transformer) and
// reaches the UI as the plain object the library returned.
export const getApiTokenUsage = authenticatedProcedure
  .input(ZGetApiTokenUsageRequest)
  .query(
    async ({ ctx, input }) =>
      new CompactUsage(await getApiTokenUsageInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, ...input })),
  );
