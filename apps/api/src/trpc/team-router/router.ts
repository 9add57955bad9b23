import { router } from '../trpc';
import { createTeam } from './create-team';
import { getTeams } from './get-teams';
import { membersRouter } from './members';
import { policyRouter } from './policy';

export const teamRouter = router({
  create: createTeam,
  getMany: getTeams,
  members: membersRouter,
  policy: policyRouter,
});
