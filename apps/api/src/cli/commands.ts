// Every `latchkey` command: its options (typed by commander), its help, and the one library call it makes.
import { Option, type Command } from '@commander-js/extra-typings';
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
  getApiTokenUsage,
  getAuditEvents,
  getTeamBySlug,
  getUserByEmail,
  migrateToLatest,
  normalizeEmail,
  OPERATOR,
  isWellFormedApiToken,
  revokeApiTokenByToken,
  systemClock,
  updateTeamPolicy,
  ZTeamRole,
  type AuditEventType,
  type Db,
  type TeamRole,
} from '@latchkey/lib';
import type { CommandContext } from './run-cli';

const clock = systemClock;
const ROLES = ZTeamRole.options.join('|');
const EXPIRY_VALUES = EXPIRES_IN_VALUES.join(', ');
const EXPIRY_HELP = `how long the token lives: ${EXPIRY_VALUES} (omitted: NEVER, or the longest a limit allows)`;
const SCOPES_HELP = `comma-separated scopes from ${BUILTIN_SCOPES.join(', ')} (omitted: all of them)`;
const TEAM_HELP = "a team slug: make or list the team's tokens (the user must be its ADMIN)";
const DAY_MS = 24 * 60 * 60 * 1000;
/** What the command line does is recorded as the command line's, whoever's token it makes. */
const CLI_AUDIT = { actor: { kind: 'cli' as const, id: null, name: null } };

/** A whole number option, or one line saying what it must be. */
function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new Error(`${option} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}

/** A comma-separated option as a list: entries trimmed, empty ones dropped. */
function commaList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** The user, and the team when `--team` names one: whose tokens or events a command reads. */
async function ownerOf(db: Db, email: string, team: string | undefined) {
  const user = await getUserByEmail({ db, email });
  const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
  return { userId: user.id, teamId };
}

export function addCommands(
  program: Command,
  { out, withDb, readPassword, readSecretLine, tokenMaxPerOwner }: CommandContext,
): void {
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
    .description(
      'disable a user: sessions end, personal tokens stop working, the team tokens they made are revoked, ' +
        'no new token can be made for them',
    )
    .requiredOption('--email <email>', "the user's e-mail")
    .action(({ email }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const { alreadyDisabled, revokedTeamTokens } = await disableUser({ db, clock, email });
        const revoked =
          revokedTeamTokens === 0
            ? ''
            : `; ${revokedTeamTokens} team token${revokedTeamTokens === 1 ? '' : 's'} they made ` +
              `${revokedTeamTokens === 1 ? 'was' : 'were'} revoked`;
        out(
          alreadyDisabled
            ? `${user.email} is already disabled; nothing changed`
            : `disabled ${user.email}; their sessions and personal tokens no longer work${revoked}`,
        );
      }),
    );

  program
    .command('user:enable')
    .description('turn a disabled user back on: they can sign in, and their personal tokens work again')
    .requiredOption('--email <email>', "the user's e-mail")
    .action(({ email }) =>
      withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const { alreadyEnabled } = await enableUser({ db, email });
        out(
          alreadyEnabled
            ? `${user.email} is not disabled; nothing changed`
            : `enabled ${user.email}; they can sign in and use their personal tokens again`,
        );
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
        const team = await createTeam({ db, clock, userId: user.id, name, slug, audit: CLI_AUDIT });
        out(`created team ${team.id} (${team.slug}) with ${user.email} as ADMIN`);
      }),
    );

  program
    .command('team:add-member')
    .description('add an existing user to a team, as the operator (no team admin needed)')
    .requiredOption('--team <slug>', "the team's slug")
    .requiredOption('--email <email>', "the user's e-mail")
    .requiredOption('--role <role>', `${ROLES} (any case)`)
    .action(({ team: slug, email, role }) =>
      withDb(async (db) => {
        const team = await getTeamBySlug({ db, slug });
        const teamRole = role.trim().toUpperCase() as TeamRole;
        await addTeamMember({ db, clock, actor: OPERATOR, teamId: team.id, email, role: teamRole });
        out(`added ${normalizeEmail(email)} to ${team.slug} as ${teamRole}`);
      }),
    );

  program
    .command('team:set-policy')
    .description(
      "set a team's token policy, as the operator: the longest lifetime and the scopes of tokens made from now on",
    )
    .requiredOption('--team <slug>', "the team's slug")
    .addOption(
      new Option('--max-lifetime-days <days>', 'tokens may live at most this many days, 1 to 365').conflicts(
        'maxLifetime',
      ),
    )
    .addOption(new Option('--no-max-lifetime', 'lift the lifetime limit (tokens may live for ever)'))
    .addOption(
      new Option(
        '--allowed-scopes <scopes>',
        `comma-separated scopes tokens may have, from ${BUILTIN_SCOPES.join(', ')}`,
      ).conflicts('allScopes'),
    )
    .addOption(new Option('--all-scopes', 'lift the scope limit (tokens may have every scope)'))
    .addHelpText('after', '\nWhat is not given stays as it is. Existing tokens keep their expiry and scopes.')
    .action(({ team: slug, maxLifetimeDays: days, maxLifetime, allowedScopes, allScopes }) => {
      if (days === undefined && maxLifetime && allowedScopes === undefined && !allScopes) {
        throw new Error(
          'team:set-policy needs something to set: --max-lifetime-days <days> or --no-max-lifetime, ' +
            'and/or --allowed-scopes <scopes> or --all-scopes',
        );
      }
      if (days !== undefined && !/^\s*\d{1,6}\s*$/.test(days)) {
        throw new Error(`--max-lifetime-days must be a whole number of days, got "${days}"`);
      }
      const scopeList = allowedScopes === undefined ? undefined : commaList(allowedScopes);
      if (scopeList?.length === 0) {
        throw new Error('--allowed-scopes needs at least one scope (--all-scopes lifts the scope limit)');
      }
      return withDb(async (db) => {
        const team = await getTeamBySlug({ db, slug });
        const policy = await updateTeamPolicy({
          db,
          clock,
          actor: OPERATOR,
          teamId: team.id,
          maxLifetimeDays: days !== undefined ? Number(days) : maxLifetime ? undefined : null,
          allowedScopes: scopeList ?? (allScopes ? null : undefined),
        });
        const lifetime =
          policy.maxLifetimeDays === null
            ? 'no lifetime limit'
            : `tokens live at most ${policy.maxLifetimeDays} day${policy.maxLifetimeDays === 1 ? '' : 's'}`;
        const scopes =
          policy.allowedScopes === null ? 'every scope allowed' : `scopes allowed: ${policy.allowedScopes.join(',')}`;
        out(`set the token policy of ${team.slug}: ${lifetime}; ${scopes}`);
      });
    });

  program
    .command('token:create')
    .description('create a token for a user (or their team) and print only the token, for scripts')
    .requiredOption('--email <email>', 'the user who owns (or, with --team, makes) the token')
    .option('--team <slug>', TEAM_HELP)
    .requiredOption('--name <name>', 'what the token is for, 3 to 100 characters')
    .option('--expires-in <expiry>', EXPIRY_HELP)
    .option('--scopes <scopes>', SCOPES_HELP)
    .option(
      '--allowed-ips <list>',
      'comma-separated addresses or CIDR ranges the token may be used from (omitted: any)',
    )
    .action(({ email, team, name, expiresIn, scopes, allowedIps }) => {
      // Named as the option it came from (the library would call it expiresIn), before any database use.
      if (expiresIn !== undefined && !(EXPIRES_IN_VALUES as readonly string[]).includes(expiresIn)) {
        throw new Error(`--expires-in must be one of ${EXPIRY_VALUES}, got "${expiresIn}"`);
      }
      const maxTokensPerOwner = tokenMaxPerOwner();
      return withDb(async (db) => {
        const user = await getUserByEmail({ db, email });
        const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
        const scopeList = scopes === undefined ? undefined : commaList(scopes);
        const ips = allowedIps === undefined ? undefined : commaList(allowedIps);
        const created = await createApiToken({
          db,
          clock,
          userId: user.id,
          teamId,
          name,
          expiresIn,
          scopes: scopeList,
          allowedIps: ips,
          maxTokensPerOwner,
          audit: CLI_AUDIT,
        });
        out(created.token);
      });
    });

  program
    .command('token:list')
    .description("list a user's personal tokens, or a team's, tab-separated")
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
          out(
            [
              t.id,
              t.name,
              `${t.start}…`,
              t.status,
              expires,
              t.lastUsedAt?.toISOString() ?? 'never',
              t.scopes.join(','),
            ].join('\t'),
          );
        }
      }),
    );

  /**
   * The token a command works on: its argument, or one line of standard input when the argument is
   * `-` or missing (typed unseen at a terminal, or piped), so the token stays out of shell history.
   */
  async function tokenArgument(argument: string | undefined, missing: string): Promise<string> {
    const token = argument === undefined || argument === '-' ? await readSecretLine('Token') : argument;
    if (token === null || token.trim() === '') throw new Error(missing);
    return token.trim();
  }

  program
    .command('token:revoke')
    .description('delete a token by its value, e.g. one that leaked; the value is read from standard input')
    .argument('[token]', 'the whole token (api_ and 36 letters and digits); - or nothing: one line of standard input')
    .action(async (argument) => {
      const token = await tokenArgument(
        argument,
        'token:revoke got no token: write the whole api_… value on standard input (one line), ' +
          'or give it as the argument',
      );
      return withDb(async (db) => {
        const revoked = await revokeApiTokenByToken({ db, token });
        out(`revoked token ${revoked.id} (${revoked.name})`);
      });
    });

  program
    .command('token:check-format')
    .description('say whether a string is a well-formed Latchkey token (shape and checksum); no database needed')
    .argument('[token]', 'the string to check; - or nothing: one line of standard input')
    .action(async (argument) => {
      const token = await tokenArgument(
        argument,
        'token:check-format got nothing to check: write the string on standard input (one line), ' +
          'or give it as the argument',
      );
      if (!isWellFormedApiToken(token)) {
        throw new Error(
          'not a well-formed Latchkey token (api_ and 36 letters and digits whose last 6 are the checksum)',
        );
      }
      out('well-formed: the shape and the checksum match (whether it was issued, only its server knows)');
    });

  program
    .command('token:usage')
    .description('requests and failures of one token per day (per hour for --days 1 or 2), with its recent addresses')
    .requiredOption('--email <email>', 'the user who owns the token (or, with --team, a member of its team)')
    .option('--team <slug>', 'the team whose token it is')
    .requiredOption('--name <name>', "the token's name")
    .option('--days <days>', 'how many days back, 1 to 366', '7')
    .action(({ email, team, name, days }) => {
      const span = wholeNumber('--days', days, 1, 366);
      return withDb(async (db) => {
        const owner = await ownerOf(db, email, team);
        const { tokens } = await getApiTokens({ db, clock, ...owner });
        const matches = tokens.filter((t) => t.name === name.trim());
        if (matches.length === 0) throw new Error(`no token named "${name.trim()}" for ${team ?? email}`);
        if (matches.length > 1)
          throw new Error(`${matches.length} tokens are named "${name.trim()}"; rename one in the UI first`);
        const to = new Date(clock.now());
        const granularity = span <= 2 ? 'hour' : 'day';
        const usage = await getApiTokenUsage({
          db,
          clock,
          ...owner,
          id: matches[0]!.id,
          from: new Date(to.getTime() - span * DAY_MS),
          to,
          granularity,
        });
        const period = `${span} day${span === 1 ? '' : 's'}`;
        out(`${name.trim()}: ${usage.total.requests} requests, ${usage.total.failed} failed, in ${period}`);
        out([granularity === 'hour' ? 'HOUR' : 'DAY', 'REQUESTS', 'FAILED'].join('\t'));
        for (const b of usage.buckets) out([b.start.toISOString(), b.requests, b.failed].join('\t'));
        for (const ip of usage.recentIps)
          out(`recent: ${ip.ip} at ${ip.lastSeenAt.toISOString()} (${ip.userAgent ?? 'no user agent'})`);
      });
    });

  program
    .command('audit:list')
    .description('the audit log of a user, or of a team (the user must be its ADMIN), newest first, tab-separated')
    .requiredOption('--email <email>', 'the user')
    .option('--team <slug>', 'the team whose log to read')
    .option('--type <type>', 'only events of this type, e.g. token.created')
    .option('--limit <limit>', 'how many events, 1 to 100', '50')
    .action(({ email, team, type, limit }) => {
      const count = wholeNumber('--limit', limit, 1, 100);
      return withDb(async (db) => {
        const owner = await ownerOf(db, email, team);
        const { events } = await getAuditEvents({
          db,
          ...owner,
          type: type as AuditEventType | undefined,
          limit: count,
        });
        if (events.length === 0) return out('no events');
        out(['TIME', 'TYPE', 'ACTOR', 'TOKEN', 'IP'].join('\t'));
        for (const e of events) {
          const actor = e.actor.name ? `${e.actor.kind}:${e.actor.name}` : e.actor.kind;
          out([e.createdAt.toISOString(), e.type, actor, e.tokenId ?? '-', e.ip ?? '-'].join('\t'));
        }
      });
    });
}
