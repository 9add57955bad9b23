import { getApiTokenUsageSeries, ZApiTokenUsageRange, ZApiTokenUsageSeries, ZId, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenUsageRequest = ZApiTokenUsageRange.extend({ id: ZId, teamId: ZTeamId });

// The counts as arrays (the web UI draws them as they are): no Date per bucket to validate and encode.
export const getApiTokenUsage = authenticatedProcedure
  .input(ZGetApiTokenUsageRequest)
  .output(ZApiTokenUsageSeries)
  .query(({ ctx, input }) => getApiTokenUsageSeries({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, ...input }));
