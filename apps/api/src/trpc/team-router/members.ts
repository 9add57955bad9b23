// team.members.*: any member may list (ADMINs also see how many team tokens each member made);
// only ADMINs add, change roles and remove. Removing answers how many team tokens it revoked.
import { z } from 'zod';
import {
  addTeamMember,
  getTeamMembers,
  removeTeamMember,
  updateTeamMemberRole,
  ZEmail,
  ZId,
  ZTeamRole,
} from '@latchkey/lib';
import { authenticatedProcedure, router } from '../trpc';

export const membersRouter = router({
  getMany: authenticatedProcedure
    .input(z.object({ teamId: ZId }))
    .query(({ ctx, input }) =>
      getTeamMembers({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, teamId: input.teamId }),
    ),
  add: authenticatedProcedure
    .input(z.object({ teamId: ZId, email: ZEmail, role: ZTeamRole }))
    .mutation(({ ctx, input }) =>
      addTeamMember({ db: ctx.db, clock: ctx.clock, userId: ctx.user.id, audit: ctx.audit, ...input }),
    ),
  updateRole: authenticatedProcedure
    .input(z.object({ teamId: ZId, userId: ZId, role: ZTeamRole }))
    .mutation(({ ctx, input }) =>
      updateTeamMemberRole({
        db: ctx.db,
        clock: ctx.clock,
        userId: ctx.user.id,
        teamId: input.teamId,
        memberUserId: input.userId,
        role: input.role,
        audit: ctx.audit,
      }),
    ),
  remove: authenticatedProcedure.input(z.object({ teamId: ZId, userId: ZId })).mutation(({ ctx, input }) =>
    removeTeamMember({
      db: ctx.db,
      clock: ctx.clock,
      userId: ctx.user.id,
      teamId: input.teamId,
      memberUserId: input.userId,
      audit: ctx.audit,
    }),
  ),
});
