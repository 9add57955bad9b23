import { enableUser, getUserByEmail } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const userEnable = defineCommand({
  name: 'user:enable',
  summary: 'turn a disabled user back on: they can sign in, and their personal tokens work again',
  options: { email: { value: '<email>', help: "the user's e-mail", required: true } },
  run: ({ email }, { out, withDb }) =>
    withDb(async (db) => {
      const user = await getUserByEmail({ db, email });
      const { alreadyEnabled } = await enableUser({ db, email });
      out(
        alreadyEnabled
          ? `${user.email} is not disabled; nothing changed`
          : `enabled ${user.email}; they can sign in and use their personal tokens again`,
      );
    }),
});
