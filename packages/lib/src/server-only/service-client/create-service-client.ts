import type { Db } from '../../db/create-database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ZServiceClientName } from '../../types/schemas.js';
import { generateServiceClientId, generateServiceClientSecret } from '../../universal/service-client-format.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';
import { parseInput } from '../validate.js';

export type CreateServiceClientOptions = { db: Db; clock: Clock; name: string };

/** What creating a service client answers: the only time its secret is seen. */
export type CreatedServiceClient = { clientId: string; clientSecret: string; name: string; createdAt: Date };

/**
 * A new service client, which may call introspection. The secret is returned here once and stored
 * only as its SHA-256 hash. Names need not be unique (the `clientId` is); a bad name is INVALID_BODY.
 */
export async function createServiceClient({ db, clock, name: input }: CreateServiceClientOptions) {
  const name = parseInput(ZServiceClientName, input);
  const clientSecret = generateServiceClientSecret();
  const createdAt = clock.now();
  // A clash of two random 119-bit ids is not expected; a second try costs nothing if it happens.
  for (let attempt = 0; ; attempt++) {
    const clientId = generateServiceClientId();
    try {
      await db
        .insertInto('service_clients')
        .values({ client_id: clientId, name, secret_hash: hashSecret(clientSecret), created_at: createdAt })
        .execute();
      return { clientId, clientSecret, name, createdAt: new Date(createdAt) } satisfies CreatedServiceClient;
    } catch (error) {
      if (attempt > 0 || !isUniqueViolation(error)) throw error;
    }
  }
}
