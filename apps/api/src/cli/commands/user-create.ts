import { createUser } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const userCreate = defineCommand({
  name: 'user:create',
  summary: 'create a user; the password comes from LATCHKEY_PASSWORD or one line of standard input',
  options: {
    email: { value: '<email>', help: 'their e-mail, used to sign in', required: true },
    name: { value: '<name>', help: 'their display name', required: true },
  },
  async run({ email, name }, { clock, out, withDb, readPassword }) {
    const password = await readPassword();
    await withDb(async (db) => {
      const user = await createUser({ db, clock, email, name, password });
      out(`created user ${user.id} <${user.email}>`);
    });
  },
});
