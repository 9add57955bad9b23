import { deleteServiceClient } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const serviceDelete = defineCommand({
  name: 'service:delete',
  summary: 'delete a service client: its credentials stop working within a second on every server',
  argument: { name: 'client_id', help: 'the svc_… id that service:create printed', required: true },
  run: ({ argument }, { out, withDb }) =>
    withDb(async (db) => {
      const deleted = await deleteServiceClient({ db, clientId: argument });
      out(`deleted service client ${deleted.clientId} (${deleted.name})`);
    }),
});
