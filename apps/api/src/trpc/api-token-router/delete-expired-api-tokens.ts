import { z } from 'zod';
import { deleteExpiredApiTokens as deleteExpiredApiTokensInLib, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZDeleteExpiredApiTokensRequest = z.object({ teamId: ZTeamId });

export const deleteExpiredApiTokens = authenticatedProcedure
  .input(ZDeleteExpiredApiTokensRequest)
  .mutation(({ ctx, input }) =>
    deleteExpiredApiTokensInLib({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      teamId: input.teamId,
      audit: ctx.audit,
    }),
  );
