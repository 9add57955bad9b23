import { z } from 'zod';
import { deleteApiTokenById, ZId, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZDeleteApiTokenRequest = z.object({ id: ZId, teamId: ZTeamId });

export const deleteApiToken = authenticatedProcedure.input(ZDeleteApiTokenRequest).mutation(async ({ ctx, input }) => {
  await deleteApiTokenById({
    db: ctx.db,
    clock: ctx.clock,
    userId: ctx.user.id,
    teamId: input.teamId,
    id: input.id,
    audit: ctx.audit,
  });
});
