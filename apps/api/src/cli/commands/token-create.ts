import { createApiToken, EXPIRES_IN_VALUES, getTeamBySlug, getUserByEmail } from '@latchkey/lib';
import { CLI_AUDIT, commaList, EXPIRY_HELP, EXPIRY_VALUES, SCOPES_HELP, TEAM_HELP } from '../command-inputs';
import { defineCommand } from '../define-command';

export const tokenCreate = defineCommand({
  name: 'token:create',
  summary: 'create a token for a user (or their team) and print only the token, for scripts',
  options: {
    email: { value: '<email>', help: 'the user who owns (or, with --team, makes) the token', required: true },
    team: { value: '<slug>', help: TEAM_HELP },
    name: { value: '<name>', help: 'what the token is for, 3 to 100 characters', required: true },
    expiresIn: { value: '<expiry>', help: EXPIRY_HELP },
    scopes: { value: '<scopes>', help: SCOPES_HELP },
    allowedIps: {
      value: '<list>',
      help: 'comma-separated addresses or CIDR ranges the token may be used from (omitted: any)',
    },
  },
  run(
    { email, team, name, expiresIn, scopes, allowedIps },
    { clock, out, withDb, tokenMaxPerOwner, scopes: scopeSet },
  ) {
    // Named as the option it came from (the library would call it expiresIn), before any database use.
    if (expiresIn !== undefined && !(EXPIRES_IN_VALUES as readonly string[]).includes(expiresIn)) {
      throw new Error(`--expires-in must be one of ${EXPIRY_VALUES}, got "${expiresIn}"`);
    }
    const maxTokensPerOwner = tokenMaxPerOwner();
    const allowedScopes = scopeSet().names;
    return withDb(async (db) => {
      const user = await getUserByEmail({ db, email });
      const teamId = team === undefined ? null : (await getTeamBySlug({ db, slug: team })).id;
      const created = await createApiToken({
        db,
        clock,
        userId: user.id,
        teamId,
        name,
        expiresIn,
        scopes: scopes === undefined ? undefined : commaList(scopes),
        allowedScopes,
        allowedIps: allowedIps === undefined ? undefined : commaList(allowedIps),
        maxTokensPerOwner,
        audit: CLI_AUDIT,
      });
      out(created.token);
    });
  },
});
