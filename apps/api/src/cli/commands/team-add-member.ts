import { addTeamMember, getTeamBySlug, normalizeEmail, OPERATOR, type TeamRole } from '@latchkey/lib';
import { ROLES } from '../command-inputs';
import { defineCommand } from '../define-command';

export const teamAddMember = defineCommand({
  name: 'team:add-member',
  summary: 'add an existing user to a team, as the operator (no team admin needed)',
  options: {
    team: { value: '<slug>', help: "the team's slug", required: true },
    email: { value: '<email>', help: "the user's e-mail", required: true },
    role: { value: '<role>', help: `${ROLES} (any case)`, required: true },
  },
  run: ({ team: slug, email, role }, { clock, out, withDb }) =>
    withDb(async (db) => {
      const team = await getTeamBySlug({ db, slug });
      const teamRole = role.trim().toUpperCase() as TeamRole;
      await addTeamMember({ db, clock, actor: OPERATOR, teamId: team.id, email, role: teamRole });
      out(`added ${normalizeEmail(email)} to ${team.slug} as ${teamRole}`);
    }),
});
