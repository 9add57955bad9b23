import { z } from 'zod';
import { createTeam as createTeamInLib, ZTeamName, ZTeamSlug } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZCreateTeamInput = z.object({ name: ZTeamName, slug: ZTeamSlug });

export const createTeam = authenticatedProcedure
  .input(ZCreateTeamInput)
  .mutation(({ ctx, input }) =>
    createTeamInLib({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, audit: ctx.audit, ...input }),
  );
