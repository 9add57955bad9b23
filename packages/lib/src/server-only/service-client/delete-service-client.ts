import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';

/**
 * Deletes a service client: its credentials stop working on the next request that is not answered
 * from a server's short cache (`createServiceClientAuthenticator`, one second). NOT_FOUND for an
 * unknown `clientId`.
 */
export async function deleteServiceClient({ db, clientId }: { db: Db; clientId: string }) {
  const row = await db
    .deleteFrom('service_clients')
    .where('client_id', '=', clientId.trim())
    .returning(['client_id', 'name'])
    .executeTakeFirst();
  if (!row) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No service client with that client_id' });
  return { clientId: row.client_id, name: row.name };
}
