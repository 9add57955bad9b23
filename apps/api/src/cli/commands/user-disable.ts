import { disableUser, getUserByEmail } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const userDisable = defineCommand({
  name: 'user:disable',
  summary:
    'disable a user: sessions end, personal tokens stop working, the team tokens they made are revoked, ' +
    'no new token can be made for them',
  options: { email: { value: '<email>', help: "the user's e-mail", required: true } },
  run: ({ email }, { clock, out, withDb }) =>
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
});
