import { z } from 'zod';
import { getApiTokens as getApiTokensInLib, ZApiTokenMetadata, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokensRequest = z.object({ teamId: ZTeamId }).optional();

export const getApiTokens = authenticatedProcedure
  .input(ZGetApiTokensRequest)
  .output(z.array(ZApiTokenMetadata))
  .query(async ({ ctx, input }) => {
    const { tokens } = await getApiTokensInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, teamId: input?.teamId });
    return tokens;
  });
