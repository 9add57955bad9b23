import { z } from 'zod';
import {
  getApiTokens as getApiTokensInLib,
  ZApiTokenStatusFilter,
  ZTeamId,
  ZUnusedForDays,
  type ApiTokenMetadata,
} from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokensRequest = z
  .object({ teamId: ZTeamId, status: ZApiTokenStatusFilter.optional(), unusedForDays: ZUnusedForDays.optional() })
  .optional();

// No `.output` schema: the library builds every row as exactly `ApiTokenMetadata` (see
// toApiTokenMetadata), so validating up to 1,000 of them again was pure overhead. The return type
// keeps the procedure's output typed as before.
export const getApiTokens = authenticatedProcedure
  .input(ZGetApiTokensRequest)
  .query(async ({ ctx, input }): Promise<ApiTokenMetadata[]> => {
    const { tokens } = await getApiTokensInLib({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays,
      ...input,
    });
    return tokens;
  });
