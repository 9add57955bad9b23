// One token for its own page: its metadata and its rotation lineage (the token it replaced, the one
// that replaced it). Readable by whoever may manage the owner's tokens.
import { z } from 'zod';
import { getApiTokenById, getApiTokenLineage, ZId, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetApiTokenRequest = z.object({ id: ZId, teamId: ZTeamId });

export const getApiToken = authenticatedProcedure.input(ZGetApiTokenRequest).query(async ({ ctx, input }) => {
  const actor = { db: ctx.db, clock: ctx.clock, userId: ctx.user.id, teamId: input.teamId, id: input.id };
  const token = await getApiTokenById({ ...actor, instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays });
  return { token, lineage: await getApiTokenLineage(actor) };
});
