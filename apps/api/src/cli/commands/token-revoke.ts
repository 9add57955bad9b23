import { revokeApiTokenByToken } from '@latchkey/lib';
import { tokenArgument } from '../command-inputs';
import { defineCommand } from '../define-command';

export const tokenRevoke = defineCommand({
  name: 'token:revoke',
  summary: 'delete a token by its value, e.g. one that leaked; the value is read from standard input',
  argument: {
    name: 'token',
    help: 'the whole token (api_ and 36 letters and digits); - or nothing: one line of standard input',
  },
  async run({ argument }, context) {
    const token = await tokenArgument(
      argument,
      'token:revoke got no token: write the whole api_… value on standard input (one line), ' +
        'or give it as the argument',
      context,
    );
    return context.withDb(async (db) => {
      const revoked = await revokeApiTokenByToken({ db, clock: context.clock, token });
      context.out(`revoked token ${revoked.id} (${revoked.name})`);
    });
  },
});
