import { getApiTokens } from '@latchkey/lib';
import { ownerOf, TEAM_HELP } from '../command-inputs';
import { defineCommand } from '../define-command';

export const tokenList = defineCommand({
  name: 'token:list',
  summary: "list a user's personal tokens, or a team's, tab-separated",
  options: {
    email: { value: '<email>', help: 'the user', required: true },
    team: { value: '<slug>', help: TEAM_HELP },
  },
  run: ({ email, team }, { clock, out, withDb }) =>
    withDb(async (db) => {
      const { tokens } = await getApiTokens({ db, clock, ...(await ownerOf(db, email, team)) });
      if (tokens.length === 0) return out('no tokens');
      out(['ID', 'NAME', 'START', 'STATUS', 'EXPIRES', 'LAST USED', 'SCOPES'].join('\t'));
      for (const t of tokens) {
        const expires = t.expiresAt?.toISOString() ?? 'never';
        const lastUsed = t.lastUsedAt?.toISOString() ?? 'never';
        out([t.id, t.name, `${t.start}…`, t.status, expires, lastUsed, t.scopes.join(',')].join('\t'));
      }
    }),
});
