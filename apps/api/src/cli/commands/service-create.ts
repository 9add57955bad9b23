import { createServiceClient } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const serviceCreate = defineCommand({
  name: 'service:create',
  summary: 'create a service client for introspection; prints its client_id and client_secret (shown only now)',
  options: { name: { value: '<name>', help: 'which service it is, 3 to 100 characters', required: true } },
  helpAfter:
    'The two lines are client_id=svc_… and client_secret=lks_…; store the secret now, it is kept only as a hash.',
  run: ({ name }, { clock, out, withDb }) =>
    withDb(async (db) => {
      const created = await createServiceClient({ db, clock, name });
      out(`client_id=${created.clientId}`);
      out(`client_secret=${created.clientSecret}`);
    }),
});
