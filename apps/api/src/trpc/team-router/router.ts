import { router } from '../trpc';
import { createTeam } from './create-team';
import { getTeams } from './get-teams';
import { membersRouter } from './members';
import { policyRouter } from './policy';
import { deleteTeam, renameTeam } from './rename-and-delete-team';

export const teamRouter = router({
  create: createTeam,
  getMany: getTeams,
  rename: renameTeam,
  delete: deleteTeam,
  members: membersRouter,
  policy: policyRouter,
});
