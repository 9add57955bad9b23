import { getTeamBySlug, OPERATOR, updateTeamPolicy } from '@latchkey/lib';
import { commaList } from '../command-inputs';
import { defineCommand } from '../define-command';
import type { CommandContext } from '../run-cli';

export const teamSetPolicy = defineCommand({
  name: 'team:set-policy',
  summary: "set a team's token policy, as the operator: the longest lifetime and the scopes of tokens made from now on",
  options: {
    team: { value: '<slug>', help: "the team's slug", required: true },
    maxLifetimeDays: {
      value: '<days>',
      help: 'tokens may live at most this many days, 1 to 365',
      conflicts: 'maxLifetime',
    },
    maxLifetime: { negated: true, help: 'lift the lifetime limit (tokens may live for ever)' },
    allowedScopes: {
      value: '<scopes>',
      help: ({ scopesHelp }: CommandContext) => `comma-separated scopes tokens may have, from ${scopesHelp}`,
      conflicts: 'allScopes',
    },
    allScopes: { switch: true, help: 'lift the scope limit (tokens may have every scope)' },
  },
  helpAfter: 'What is not given stays as it is. Existing tokens keep their expiry and scopes.',
  run(
    { team: slug, maxLifetimeDays: days, maxLifetime, allowedScopes, allScopes },
    { clock, out, withDb, scopes: scopeSet },
  ) {
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
    const knownScopes = scopeSet().names;
    return withDb(async (db) => {
      const team = await getTeamBySlug({ db, slug });
      const policy = await updateTeamPolicy({
        knownScopes,
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
  },
});
