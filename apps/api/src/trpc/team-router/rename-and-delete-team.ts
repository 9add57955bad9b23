// team.rename and team.delete: ADMINs only. Deleting answers how many team tokens it revoked.
import { z } from 'zod';
import { deleteTeam as deleteTeamInLib, renameTeam as renameTeamInLib, ZId, ZTeamName } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const renameTeam = authenticatedProcedure
  .input(z.object({ teamId: ZId, name: ZTeamName }))
  .mutation(({ ctx, input }) =>
    renameTeamInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, audit: ctx.audit, ...input }),
  );

export const deleteTeam = authenticatedProcedure
  .input(z.object({ teamId: ZId }))
  .mutation(({ ctx, input }) =>
    deleteTeamInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, audit: ctx.audit, teamId: input.teamId }),
  );
