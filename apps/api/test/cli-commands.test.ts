// The command line as declarations (cli/commands/, one file a command): the overall and each
// command's `--help` come from them, and the service client commands work on the server's own
// database: a client made with `service:create` can introspect, and `service:delete` ends it.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCOPES, SERVICE_CLIENT_ID_REGEX, SERVICE_CLIENT_SECRET_REGEX } from '@latchkey/lib';
import { createTestDatabase, type TestDatabase } from '@latchkey/lib/testing';
import { COMMANDS } from '../src/cli/commands/index';
import { runCli, type CommandContext } from '../src/cli/run-cli';
import { startServer, type TestServer } from './support/server';

let database: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  server = await startServer({ database });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { DATABASE_URL: database.url },
    (line) => out.push(line),
    (line) => err.push(line),
    { stdin: Readable.from([]) },
  );
  return { code, out, err };
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const oneLine = (lines: string[]) => lines.join('\n').replace(/\s+/g, ' ');

describe('help derived from the declarations', () => {
  it('--help lists every declared command with its summary', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    const text = help.out.join('\n');
    for (const command of COMMANDS) {
      expect(text).toMatch(new RegExp(`^  ${command.name}\\b`, 'm'));
      expect(oneLine(help.out)).toContain(command.summary.split(' ').slice(0, 6).join(' '));
    }
  });

  it("each command's --help names its every option, in kebab-case, with its help, and its argument", async () => {
    for (const command of COMMANDS) {
      const help = await cli(command.name, '--help');
      expect(help.code, command.name).toBe(0);
      const text = oneLine(help.out);
      for (const [key, spec] of Object.entries(command.options ?? {})) {
        const flag = 'negated' in spec ? `--no-${kebab(key)}` : `--${kebab(key)}`;
        expect(text, `${command.name} ${flag}`).toContain(flag);
        // A help that names the known scopes is written from the configuration: none here but the built-in ones.
        const helpText =
          typeof spec.help === 'function'
            ? spec.help({ scopesHelp: BUILTIN_SCOPES.join(', ') } as CommandContext)
            : spec.help;
        expect(text, `${command.name} ${flag}`).toContain(helpText.replace(/\s+/g, ' '));
      }
      if (command.argument) expect(text, command.name).toContain(command.argument.name);
      if (command.helpAfter) expect(text, command.name).toContain(command.helpAfter);
    }
  });
});

describe('service:create, service:list and service:delete', () => {
  it('create prints client_id and client_secret once; the client introspects; list shows no secret', async () => {
    const created = await cli('service:create', '--name', 'Billing API');
    expect(created.code).toBe(0);
    expect(created.err).toEqual([]);
    expect(created.out).toHaveLength(2);
    const [idLine, secretLine] = created.out as [string, string];
    const clientId = idLine.replace(/^client_id=/, '');
    const clientSecret = secretLine.replace(/^client_secret=/, '');
    expect(clientId).toMatch(SERVICE_CLIENT_ID_REGEX);
    expect(clientSecret).toMatch(SERVICE_CLIENT_SECRET_REGEX);
    server.remember(clientSecret);

    const user = await server.createTestUser('Cli Service User');
    const { token } = await server.createTestToken(user);
    const answer = await server.request('/api/v1/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }).toString(),
    });
    expect(((await answer.json()) as { active: boolean }).active).toBe(true);

    const listed = await cli('service:list');
    expect(listed.code).toBe(0);
    expect(listed.out[0]).toBe('CLIENT ID\tNAME\tCREATED');
    expect(listed.out.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${clientId}\\tBilling API\\t\\d{4}-`))]);
    expect(listed.out.join('\n')).not.toContain(clientSecret);

    const deleted = await cli('service:delete', clientId);
    expect(deleted).toEqual({ code: 0, out: [`deleted service client ${clientId} (Billing API)`], err: [] });
    server.clock.advance(1000);
    const after = await server.request('/api/v1/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }).toString(),
    });
    expect(after.status).toBe(401);
    expect((await cli('service:list')).out).toEqual(['no service clients']);
  });

  it('refuses a missing or bad name, an unknown or missing client_id, each in one line', async () => {
    const cases: Array<[string[], string]> = [
      [['service:create'], "latchkey: required option '--name <name>' not specified"],
      [['service:create', '--name', '  '], 'latchkey: --name must not be blank'],
      [['service:create', '--name', 'ab'], 'latchkey: Name must be at least 3 characters'],
      [['service:delete'], "latchkey: missing required argument 'client_id'"],
      [['service:delete', 'svc_AAAAAAAAAAAAAAAAAAAA'], 'latchkey: No service client with that client_id'],
    ];
    for (const [argv, message] of cases) {
      expect(await cli(...argv), argv.join(' ')).toEqual({ code: 1, out: [], err: [message] });
    }
  });
});
