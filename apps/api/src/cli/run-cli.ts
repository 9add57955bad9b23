// The operator commands of `latchkey`, parsed with commander; runnable in-process (tests call
// `runCli`). Every rule is the library's: the commands only read options and print answers.
import { Command, CommanderError } from '@commander-js/extra-typings';
import type { Db } from '@latchkey/lib';
import { BUILTIN_SCOPES, EXPIRES_IN_VALUES } from '@latchkey/lib/universal';
import { describeConfiguredDatabase, PROJECT_ROOT } from '../project-root';
import { addCommands } from './commands';
import { InputInterrupted, readPassword, readSecretLine, type PasswordInput } from './read-password';

/** How a person runs the command line, as the README shows it; usage and help lines name it so. */
export const CLI_USAGE_NAME = 'npx -y pnpm@10 -s latchkey';

export type CliIo = {
  /**
   * Where `user:create` reads a password when LATCHKEY_PASSWORD is not set, and `token:revoke` and
   * `token:check-format` a token given as `-` or not at all; the process's stdin by default.
   */
  stdin?: PasswordInput;
  /** The command's name in usage and help lines: `latchkey` once installed; CLI_USAGE_NAME by default. */
  usageName?: string;
};

/** What a command gets: the database (opened, migrated and closed around it), output, secrets from stdin. */
export type CommandContext = {
  out: (line: string) => void;
  withDb: (run: (db: Db) => Promise<void>, options?: { migrate?: boolean }) => Promise<void>;
  readPassword: () => Promise<string>;
  /** One line of standard input (prompted for as "<label> (not shown): " at a terminal), or null. */
  readSecretLine: (label: string) => Promise<string | null>;
  /** TOKEN_MAX_PER_OWNER as the server reads it (a bad value is the command's one-line error). */
  tokenMaxPerOwner: () => Promise<number>;
};

class UsageError extends Error {}

/** Runs one command line; returns the exit code (0, or 1 after one line on `err`; 130 when interrupted). */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  err: (line: string) => void,
  io: CliIo = {},
): Promise<number> {
  const usageName = io.usageName ?? CLI_USAGE_NAME;
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
    .addHelpText('after', `\n${overallHelp(env, usageName)}`);

  const context: CommandContext = {
    out,
    readPassword: () =>
      readPassword({ env, stdin: io.stdin ?? process.stdin, prompt: (text) => process.stderr.write(text) }),
    readSecretLine: (label) =>
      readSecretLine({ stdin: io.stdin ?? process.stdin, prompt: (text) => process.stderr.write(text), label }),
    async tokenMaxPerOwner() {
      const { loadConfig } = await import('../config');
      return loadConfig({ TOKEN_MAX_PER_OWNER: env.TOKEN_MAX_PER_OWNER }).tokenMaxPerOwner;
    },
    async withDb(run, { migrate = true } = {}) {
      // Loaded here, not at the top: `--help` and the commands without a database never load a driver.
      const { createDatabase, migrateToLatest } = await import('@latchkey/lib');
      const db = createDatabase(env.DATABASE_URL, { baseDir: PROJECT_ROOT });
      try {
        if (migrate) await migrateToLatest(db);
        await run(db);
      } finally {
        await db.destroy().catch(() => {});
      }
    },
  };
  addCommands(program, context);
  // A required option given as blanks is as missing as one not given.
  program.hook('preAction', (_program, command) => {
    for (const option of command.options) {
      const value = command.getOptionValue(option.attributeName());
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

function overallHelp(env: Record<string, string | undefined>, usageName: string): string {
  let database: string;
  try {
    database = describeConfiguredDatabase(env.DATABASE_URL);
  } catch (error) {
    database = `none usable: ${(error as Error).message}`;
  }
  return [
    `Expiry values (--expires-in): ${EXPIRES_IN_VALUES.join(', ')}`,
    `Scopes (--scopes, comma-separated): ${BUILTIN_SCOPES.join(', ')}`,
    `Database: ${database}`,
    '  (DATABASE_URL; unset = data/latchkey.db in the project root; relative paths start there too)',
    'Passwords: from LATCHKEY_PASSWORD or standard input, never an option.',
    'Tokens to revoke or check: from standard input (no argument, or -), so they stay out of shell history.',
    'Exit codes: 0 done, 1 error (one line on stderr), 130 interrupted.',
    `Each command has its own help: ${usageName} <command> --help`,
  ].join('\n');
}
