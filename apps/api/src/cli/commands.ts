// Every `latchkey` command: its options (typed by commander), its help, and the one library call it makes.
import type { Command } from '@commander-js/extra-typings';
import {
  addTeamMember,
  BUILTIN_SCOPES,
  createApiToken,
  createTeam,
  createUser,
  disableUser,
  enableUser,
  EXPIRES_IN_VALUES,
  getApiTokens,
  getTeamBySlug,
  getUserByEmail,
  migrateToLatest,
  OPERATOR,
  revokeApiTokenByToken,
  systemClock,
  ZTeamRole,
  type TeamRole,
} from '@latchkey/lib';
import type { CommandContext } from './run-cli';

const clock = systemClock;
const ROLES = ZTeamRole.options.join('|');
const EXPIRY_HELP = `how long the token lives: ${EXPIRES_IN_VALUES.join(', ')} (omitted: NEVER, or the longest a limit allows)`;
const SCOPES_HELP = `comma-separated scopes from ${BUILTIN_SCOPES.join(', ')} (omitted: all of them)`;
const TEAM_HELP = 'a team slug: make or list the team\'s tokens (the user must be its ADMIN)';

export function addCommands(program: Command, { out, withDb, readPassword }: CommandContext): void {
  program
    .command('migrate')
    .description('apply the database migrations (the server does this at start too)')
    .action(() =>
      withDb(
        async (db) => {
          const applied = await migrateToLatest(db);
          out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        },
        { migrate: false },
      ),
    );

  program
    .command('user:create')
    .description('create a user; the password comes from LATCHKEY_PASSWORD or one line of standard input')
    .requiredOption('--email <email>', 'their e-mail, used to sign in')
    .requiredOption('--name <name>', 'their display name')
    .action(async ({ email, name }) => {
      const password = await readPassword();
      await withDb(async (db) => {
        const user = await createUser({ db, clock, email, name, password });
        out(`created user ${user.id} <${user.email}>`);
      });
    });

  program
    .command('user:disable')
    .description('disable a user: sessions end, personal tokens stop working, no new token can be made for them')
    .requiredOption('--email <email>', 'the user\'s e-mail')
    .action(({ email }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const { alreadyDisabled } = await disableUser({ db, clock, email });
        out(alreadyDisabled ? `${user.email} is already disabled; nothing changed` : `disabled ${user.email}; their sessions and personal tokens no longer work`);
      }),
    );

  program
    .command('user:enable')
    .description('turn a disabled user back on: they can sign in, and their personal tokens work again')
    .requiredOption('--email <email>', 'the user\'s e-mail')
    .action(({ email }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const { alreadyEnabled } = await enableUser({ db, email });
        out(alreadyEnabled ? `${user.email} is not disabled; nothing changed` : `enabled ${user.email}; they can sign in and use their personal tokens again`);
      }),
    );

  program
    .command('team:create')
    .description('create a team with a user as its ADMIN')
    .requiredOption('--slug <slug>', 'short name used in URLs')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--owner <email>', 'the user who becomes its ADMIN')
    .action(({ slug, name, owner }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email: owner });
        const team = await createTeam({ db, clock, userId: user.id, name, slug });
        out(`created team ${team.id} (${team.slug}) with ${user.email} as ADMIN`);
      }),
    );

  program
    .command('team:add-member')
    .description('add an existing user to a team, as the operator (no team admin needed)')
    .requiredOption('--team <slug>', 'the team\'s slug')
    .requiredOption('--email <email>', 'the user\'s e-mail')
    .requiredOption('--role <role>', `${ROLES} (any case)`)
    .action(({ team: slug, email, role }) =>
      withDb(async (db) => {
        const team = await getTeamBySlug({ db, slug });
        const teamRole = role.trim().toUpperCase() as TeamRole;
        await addTeamMember({ db, clock, actor: OPERATOR, teamId: team.id, email, role: teamRole });
        out(`added ${email.trim().toLowerCase()} to ${team.slug} as ${teamRole}`);
      }),
    );

  program
    .command('token:create')
    .description('create a token for a user (or their team) and print only the token, for scripts')
    .requiredOption('--email <email>', 'the user who owns (or, with --team, makes) the token')
    .option('--team <slug>', TEAM_HELP)
    .requiredOption('--name <name>', 'what the token is for, 3 to 100 characters')
    .option('--expires-in <expiry>', EXPIRY_HELP)
    .option('--scopes <scopes>', SCOPES_HELP)
    .action(({ email, team, name, expiresIn, scopes }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
        const scopeList = scopes?.split(',').map((scope) => scope.trim()).filter(Boolean);
        const created = await createApiToken({ db, clock, userId: user.id, teamId, name, expiresIn, scopes: scopeList });
        out(created.token);
      }),
    );

  program
    .command('token:list')
    .description('list a user\'s personal tokens, or a team\'s, tab-separated')
    .requiredOption('--email <email>', 'the user')
    .option('--team <slug>', TEAM_HELP)
    .action(({ email, team }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
        const { tokens } = await getApiTokens({ db, clock, userId: user.id, teamId });
        if (tokens.length === 0) return out('no tokens');
        out(['ID', 'NAME', 'START', 'STATUS', 'EXPIRES', 'LAST USED', 'SCOPES'].join('\t'));
        for (const t of tokens) {
          const expires = t.expiresAt?.toISOString() ?? 'never';
          out([t.id, t.name, `${t.start}…`, t.status, expires, t.lastUsedAt?.toISOString() ?? 'never', t.scopes.join(',')].join('\t'));
        }
      }),
    );

  program
    .command('token:revoke')
    .description('delete a token by its value, e.g. one that leaked')
    .argument('[token]', 'the whole token, api_ and 36 letters and digits')
    .action((token) => {
      if (token === undefined || token.trim() === '') {
        throw new Error('token:revoke needs the token to revoke: the whole api_… value, as its one argument');
      }
      return withDb(async (db) => {
        const revoked = await revokeApiTokenByToken({ db, token });
        out(`revoked token ${revoked.id} (${revoked.name})`);
      });
    });
}
