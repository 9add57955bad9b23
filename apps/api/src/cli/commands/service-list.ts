import { listServiceClients } from '@latchkey/lib';
import { defineCommand } from '../define-command';

export const serviceList = defineCommand({
  name: 'service:list',
  summary: 'list the service clients (never their secrets), tab-separated',
  run: (_input, { out, withDb }) =>
    withDb(async (db) => {
      const clients = await listServiceClients({ db });
      if (clients.length === 0) return out('no service clients');
      out(['CLIENT ID', 'NAME', 'CREATED'].join('\t'));
      for (const c of clients) out([c.clientId, c.name, c.createdAt.toISOString()].join('\t'));
    }),
});
