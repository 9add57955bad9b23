// The operator commands of `pnpm latchkey`, runnable in-process (tests call `runCli`).
import { parseArgs } from 'node:util';
import {
  addTeamMember,
  createApiToken,
  createDatabase,
  createTeam,
  createUser,
  disableUser,
  getApiTokens,
  getTeamBySlug,
  getUserByEmail,
  migrateToLatest,
  revokeApiTokenByToken,
  systemClock,
  type Db,
  type TeamRole,
} from '@latchkey/lib';

type Option = { type: 'string'; required?: boolean };
type Command = {
  usage: string;
  options: Record<string, Option>;
  positionals?: number;
  run(args: { db: Db; values: Record<string, string>; positionals: string[]; out: (line: string) => void }): Promise<void>;
};

const clock = systemClock;
// The command line is the actor of the audit events its changes record.
const audit = { actor: { kind: 'cli' as const, id: null, name: null } };

export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    options: {},
    async run({ db, out }) {
      const applied = await migrateToLatest(db);
      out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    },
  },
  'user:create': {
    usage: 'user:create --email <email> --name <name> --password <password>',
    options: { email: { type: 'string', required: true }, name: { type: 'string', required: true }, password: { type: 'string', required: true } },
    async run({ db, values, out }) {
      const user = await createUser({ db, clock, email: values.email!, name: values.name!, password: values.password! });
      out(`created user ${user.id} <${user.email}>`);
    },
  },
  'user:disable': {
    usage: 'user:disable --email <email>',
    options: { email: { type: 'string', required: true } },
    async run({ db, values, out }) {
      await disableUser({ db, clock, email: values.email! });
      out(`disabled ${values.email!.trim().toLowerCase()}; their sessions and personal tokens no longer work`);
    },
  },
  'team:create': {
    usage: 'team:create --slug <slug> --name <name> --owner <email>',
    options: { slug: { type: 'string', required: true }, name: { type: 'string', required: true }, owner: { type: 'string', required: true } },
    async run({ db, values, out }) {
      const owner = await getUserByEmail({ db, email: values.owner! });
      const team = await createTeam({ db, clock, userId: owner.id, name: values.name!, slug: values.slug! });
      out(`created team ${team.id} (${team.slug}) with ${owner.email} as ADMIN`);
    },
  },
  'team:add-member': {
    usage: 'team:add-member --team <slug> --email <email> --role ADMIN|MANAGER|MEMBER',
    options: { team: { type: 'string', required: true }, email: { type: 'string', required: true }, role: { type: 'string', required: true } },
    async run({ db, values, out }) {
      const team = await getTeamBySlug({ db, slug: values.team! });
      const admin = await db
        .selectFrom('team_members')
        .select('user_id')
        .where('team_id', '=', team.id)
        .where('role', '=', 'ADMIN')
        .orderBy('created_at')
        .executeTakeFirstOrThrow();
      const role = values.role!.toUpperCase() as TeamRole;
      await addTeamMember({ db, clock, userId: admin.user_id, teamId: team.id, email: values.email!, role, audit });
      out(`added ${values.email!.trim().toLowerCase()} to ${team.slug} as ${values.role!.toUpperCase()}`);
    },
  },
  'token:create': {
    usage: 'token:create --email <user> [--team <slug>] --name <name> [--expires-in ONE_MONTH] [--scopes a,b]',
    options: {
      email: { type: 'string', required: true },
      team: { type: 'string' },
      name: { type: 'string', required: true },
      'expires-in': { type: 'string' },
      scopes: { type: 'string' },
    },
    async run({ db, values, out }) {
      const user = await getUserByEmail({ db, email: values.email! });
      const teamId = values.team ? (await getTeamBySlug({ db, slug: values.team })).id : null;
      const scopes = values.scopes === undefined ? undefined : values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
      const expiresIn = values['expires-in'];
      const created = await createApiToken({ db, clock, userId: user.id, teamId, name: values.name!, expiresIn, scopes, audit });
      out(created.token);
    },
  },
  'token:list': {
    usage: 'token:list --email <user> [--team <slug>]',
    options: { email: { type: 'string', required: true }, team: { type: 'string' } },
    async run({ db, values, out }) {
      const user = await getUserByEmail({ db, email: values.email! });
      const teamId = values.team ? (await getTeamBySlug({ db, slug: values.team })).id : null;
      const { tokens } = await getApiTokens({ db, clock, userId: user.id, teamId });
      if (tokens.length === 0) return out('no tokens');
      out(['ID', 'NAME', 'START', 'STATUS', 'EXPIRES', 'LAST USED', 'SCOPES'].join('\t'));
      for (const t of tokens) {
        out([t.id, t.name, `${t.start}…`, t.status, t.expiresAt?.toISOString() ?? 'never', t.lastUsedAt?.toISOString() ?? 'never', t.scopes.join(',')].join('\t'));
      }
    },
  },
  'token:revoke': {
    usage: 'token:revoke <token>',
    options: {},
    positionals: 1,
    async run({ db, positionals, out }) {
      const revoked = await revokeApiTokenByToken({ db, clock, token: positionals[0]! });
      out(`revoked token ${revoked.id} (${revoked.name})`);
    },
  },
};

function usage(): string {
  return ['usage: pnpm latchkey <command> [options]', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

export class UsageError extends Error {}

/** Runs one command line; returns the exit code. Output goes through `out` and `err`. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? out : err)(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`latchkey: unknown command "${name}"\n${usage()}`);
    return 1;
  }
  let values: Record<string, string>;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: (command.positionals ?? 0) > 0 });
    values = parsed.values as Record<string, string>;
    positionals = parsed.positionals;
    const missing = Object.entries(command.options).filter(([key, o]) => o.required && (values[key] === undefined || values[key].trim() === '')).map(([key]) => `--${key}`);
    if (missing.length) throw new UsageError(`missing ${missing.join(', ')}`);
    if (positionals.length !== (command.positionals ?? 0)) throw new UsageError(`expected ${command.positionals ?? 0} argument(s), got ${positionals.length}`);
  } catch (error) {
    err(`latchkey: ${(error as Error).message.split('\n')[0]}\nusage: pnpm latchkey ${command.usage}`);
    return 1;
  }

  let db: Db;
  try {
    db = createDatabase(env.DATABASE_URL, { baseDir: env.INIT_CWD ?? process.cwd() });
  } catch (error) {
    err(`latchkey: ${(error as Error).message}`);
    return 1;
  }
  try {
    if (name !== 'migrate') await migrateToLatest(db);
    await command.run({ db, values, positionals, out });
    return 0;
  } catch (error) {
    err(`latchkey: ${(error as Error).message.split('\n')[0]}`);
    return 1;
  } finally {
    await db.destroy().catch(() => {});
  }
}
