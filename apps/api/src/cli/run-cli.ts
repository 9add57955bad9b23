// The operator commands of `latchkey`, declared one a file in commands/ and parsed with commander;
// runnable in-process (tests call `runCli`). Every rule is the library's: the commands only read
// options and print answers.
import { Command, CommanderError } from 'commander';
import {
  createDatabase,
  EXPIRES_IN_VALUES,
  migrateToLatest,
  systemClock,
  type Clock,
  type Db,
  type ScopeSet,
} from '@latchkey/lib';
import { loadConfig } from '../config';
import { describeConfiguredDatabase, PROJECT_ROOT } from '../project-root';
import { COMMANDS } from './commands/index';
import { addCommand } from './define-command';
import { InputInterrupted, readPassword, readSecretLine, type PasswordInput } from './read-password';

/** How a person runs the command line, as the README shows it; usage and help lines name it so. */
export const CLI_USAGE_NAME = 'npx -y pnpm@10 -s latchkey';

export type CliIo = {
  /**
   * Where `user:create` reads a password when LATCHKEY_PASSWORD is not set, and `token:revoke` and
   * `token:check-format` a token given as `-` or not at all; the process's stdin by default.
   */
  stdin?: PasswordInput;
  /** The clock the commands' operations read; the system's by default (tests move their own). */
  clock?: Clock;
  /** The command's name in usage and help lines: `latchkey` once installed; CLI_USAGE_NAME by default. */
  usageName?: string;
};

/** What a command gets: the database (opened, migrated and closed around it), output, secrets from stdin. */
export type CommandContext = {
  /** What the commands' operations read the time from (the CLI's one clock, made in runCli). */
  clock: Clock;
  out: (line: string) => void;
  withDb: (run: (db: Db) => Promise<void>, options?: { migrate?: boolean }) => Promise<void>;
  readPassword: () => Promise<string>;
  /** One line of standard input (prompted for as "<label> (not shown): " at a terminal), or null. */
  readSecretLine: (label: string) => Promise<string | null>;
  /** TOKEN_MAX_PER_OWNER as the server reads it (a bad value is the command's one-line error). */
  tokenMaxPerOwner: () => number;
  /** The scopes the server knows (TOKEN_SCOPES, TOKEN_SCOPES_FILE); a bad value is the command's one-line error. */
  scopes: () => ScopeSet;
  /** The known scopes for an option's help, or what is wrong with TOKEN_SCOPES. */
  scopesHelp: string;
};

/** The scopes as the server reads them, or the one-line reason it would not start. */
function readScopes(env: Record<string, string | undefined>): ScopeSet | Error {
  try {
    return loadConfig({ TOKEN_SCOPES: env.TOKEN_SCOPES, TOKEN_SCOPES_FILE: env.TOKEN_SCOPES_FILE }).scopes;
  } catch (error) {
    return error as Error;
  }
}

class UsageError extends Error {}

/** Runs one command line; returns the exit code (0, or 1 after one line on `err`; 130 when interrupted). */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  err: (line: string) => void,
  io: CliIo = {},
): Promise<number> {
  const fail = (message: string) => {
    err(
      `latchkey: ${message
        .split('\n')
        .map((part) => part.trim())
        .filter(Boolean)
        .join(' ')}`,
    );
    return 1;
  };
  // Refused before parsing, so the value is never echoed back in an error.
  if (argv.some((arg) => /^--password(=|$)/.test(arg))) {
    return fail(
      '--password is not accepted (the command line shows in `ps` and shell history); ' +
        'set LATCHKEY_PASSWORD or write the password on standard input',
    );
  }

  const usageName = io.usageName ?? CLI_USAGE_NAME;
  const scopes = readScopes(env);
  let commanderMessage = '';
  const program = new Command()
    .name(usageName)
    .description('Operator commands for Latchkey, on the same database as the server.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => out(text.replace(/\n$/, '')),
      writeErr: (text) => err(text.replace(/\n$/, '')),
      outputError: (text) => {
        commanderMessage += text;
      },
    })
    .helpCommand(false)
    .addHelpText('after', `\n${overallHelp(env, scopes, usageName)}`);

  const context: CommandContext = {
    clock: io.clock ?? systemClock,
    out,
    readPassword: () =>
      readPassword({ env, stdin: io.stdin ?? process.stdin, prompt: (text) => process.stderr.write(text) }),
    readSecretLine: (label) =>
      readSecretLine({ stdin: io.stdin ?? process.stdin, prompt: (text) => process.stderr.write(text), label }),
    tokenMaxPerOwner: () => loadConfig({ TOKEN_MAX_PER_OWNER: env.TOKEN_MAX_PER_OWNER }).tokenMaxPerOwner,
    scopes: () => {
      if (scopes instanceof Error) throw scopes;
      return scopes;
    },
    scopesHelp: scopes instanceof Error ? `the known ones (none now: ${scopes.message})` : scopes.names.join(', '),
    async withDb(run, { migrate = true } = {}) {
      const db = createDatabase(env.DATABASE_URL, { baseDir: PROJECT_ROOT });
      try {
        if (migrate) await migrateToLatest(db);
        await run(db);
      } finally {
        await db.destroy().catch(() => {});
      }
    },
  };
  for (const command of COMMANDS) addCommand(program, command, context);
  // A required option given as blanks is as missing as one not given.
  program.hook('preAction', (_program, command) => {
    for (const option of command.options) {
      const value: unknown = command.getOptionValue(option.attributeName());
      if (option.mandatory && typeof value === 'string' && value.trim() === '') {
        throw new UsageError(`${option.long} must not be blank`);
      }
    }
  });

  const [first] = argv;
  if (first === undefined) return fail(`no command given; run ${usageName} --help for the list`);
  if (!first.startsWith('-') && !program.commands.some((command) => command.name() === first)) {
    return fail(`unknown command "${first}"; run ${usageName} --help for the list`);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      return fail((commanderMessage || error.message).replace(/^error: /, ''));
    }
    if (error instanceof InputInterrupted) return 130;
    return fail((error as Error).message);
  }
}

/** The known scopes, one a line with what each is for. */
function scopeLines(scopes: ScopeSet | Error): string[] {
  if (scopes instanceof Error) return [`Scopes (--scopes): none usable: ${scopes.message}`];
  const width = Math.max(...scopes.names.map((name) => name.length));
  return [
    "Scopes (--scopes, comma-separated; omitted: all of them; the product's own from TOKEN_SCOPES):",
    ...scopes.names.map((name) => `  ${name.padEnd(width)}  ${scopes.descriptions[name] ?? ''}`.trimEnd()),
  ];
}

function overallHelp(env: Record<string, string | undefined>, scopes: ScopeSet | Error, usageName: string): string {
  let database: string;
  try {
    database = describeConfiguredDatabase(env.DATABASE_URL);
  } catch (error) {
    database = `none usable: ${(error as Error).message}`;
  }
  return [
    `Expiry values (--expires-in): ${EXPIRES_IN_VALUES.join(', ')}`,
    ...scopeLines(scopes),
    `Database: ${database}`,
    '  (DATABASE_URL; unset = data/latchkey.db in the project root; relative paths start there too)',
    'Passwords: from LATCHKEY_PASSWORD or standard input, never an option.',
    'Tokens to revoke or check: from standard input (no argument, or -), so they stay out of shell history.',
    'Exit codes: 0 done, 1 error (one line on stderr), 130 interrupted.',
    `Each command has its own help: ${usageName} <command> --help`,
  ].join('\n');
}
