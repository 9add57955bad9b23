import {
  getApiTokenUsage as getApiTokenUsageInLib,
  ZApiTokenUsage,
  ZApiTokenUsageRange,
  ZId,
  ZTeamId,
} from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenUsageRequest = ZApiTokenUsageRange.extend({ id: ZId, teamId: ZTeamId });

export const getApiTokenUsage = authenticatedProcedure
  .input(ZGetApiTokenUsageRequest)
  .output(ZApiTokenUsage)
  .query(({ ctx, input }) => getApiTokenUsageInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, ...input }));
