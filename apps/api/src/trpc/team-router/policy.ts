// team.policy.*: any member may read the team's token policy (the create dialog needs it); only
// ADMINs change it. `instanceMaxLifetimeDays` tells the UI the server-wide limit on top of it,
// `knownScopes` the scopes a policy may choose from and `scopeDescriptions` what each is for.
import { z } from 'zod';
import { getTeamPolicy, updateTeamPolicy, ZId, ZUpdateTeamPolicyInput } from '@latchkey/lib';
import { authenticatedProcedure, router } from '../trpc';

export const policyRouter = router({
  get: authenticatedProcedure.input(z.object({ teamId: ZId })).query(async ({ ctx, input }) => ({
    ...(await getTeamPolicy({ db: ctx.db, userId: ctx.user.id, teamId: input.teamId })),
    instanceMaxLifetimeDays: ctx.config.tokenMaxLifetimeDays,
    knownScopes: ctx.config.scopes.names,
    scopeDescriptions: ctx.config.scopes.descriptions,
  })),
  update: authenticatedProcedure.input(ZUpdateTeamPolicyInput.extend({ teamId: ZId })).mutation(({ ctx, input }) =>
    updateTeamPolicy({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      knownScopes: ctx.config.scopes.names,
      audit: ctx.audit,
      ...input,
    }),
  ),
});
