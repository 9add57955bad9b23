import { createTeam, getUserByEmail } from '@latchkey/lib';
import { CLI_AUDIT } from '../command-inputs';
import { defineCommand } from '../define-command';

export const teamCreate = defineCommand({
  name: 'team:create',
  summary: 'create a team with a user as its ADMIN',
  options: {
    slug: { value: '<slug>', help: 'short name used in URLs', required: true },
    name: { value: '<name>', help: 'display name', required: true },
    owner: { value: '<email>', help: 'the user who becomes its ADMIN', required: true },
  },
  run: ({ slug, name, owner }, { clock, out, withDb }) =>
    withDb(async (db) => {
      const user = await getUserByEmail({ db, email: owner });
      const team = await createTeam({ db, clock, userId: user.id, name, slug, audit: CLI_AUDIT });
      out(`created team ${team.id} (${team.slug}) with ${user.email} as ADMIN`);
    }),
});
