import type { Db } from '../../db/create-database.js';

export type ServiceClientSummary = { clientId: string; name: string; createdAt: Date };

/** Every service client, oldest first; never a secret or its hash. */
export async function listServiceClients({ db }: { db: Db }): Promise<ServiceClientSummary[]> {
  const rows = await db
    .selectFrom('service_clients')
    .select(['client_id', 'name', 'created_at'])
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ clientId: row.client_id, name: row.name, createdAt: new Date(Number(row.created_at)) }));
}
