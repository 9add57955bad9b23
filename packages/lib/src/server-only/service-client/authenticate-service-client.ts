// Checks the credentials a caller of introspection presents. The secret is compared as SHA-256
// hashes with `timingSafeEqual`, and an unknown or malformed `client_id` costs the same hash and
// comparison (against a hash no secret has), so the time of an answer does not tell whether an id
// exists or how much of a secret was right.
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/create-database.js';
import { SERVICE_CLIENT_ID_REGEX } from '../../universal/service-client-format.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';

/** An authenticated service client: what its limits are counted by (`id`) and named by. */
export type ServiceClient = { readonly id: number; readonly clientId: string; readonly name: string };

type StoredServiceClient = ServiceClient & { readonly secretHash: Buffer };

// The SHA-256 of nothing a client could send (a secret is text; this digest's preimage is unknown).
const NO_CLIENT_HASH = Buffer.alloc(32, 0xa5);

async function findServiceClient(db: Db, clientId: string): Promise<StoredServiceClient | null> {
  if (!SERVICE_CLIENT_ID_REGEX.test(clientId)) return null;
  const row = await db
    .selectFrom('service_clients')
    .select(['id', 'client_id', 'name', 'secret_hash'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return null;
  const secretHash = Buffer.from(row.secret_hash, 'hex');
  return { id: Number(row.id), clientId: row.client_id, name: row.name, secretHash };
}

/** The same work whether or not the client exists: one hash and one comparison of 32 bytes. */
function judge(stored: StoredServiceClient | null, clientSecret: unknown): ServiceClient | null {
  const presented = Buffer.from(hashSecret(typeof clientSecret === 'string' ? clientSecret : ''), 'hex');
  const expected = stored && stored.secretHash.length === 32 ? stored.secretHash : NO_CLIENT_HASH;
  const same = timingSafeEqual(presented, expected);
  if (!stored || !same || typeof clientSecret !== 'string') return null;
  return { id: stored.id, clientId: stored.clientId, name: stored.name };
}

export type AuthenticateServiceClientOptions = { db: Db; clientId: string; clientSecret: string };

/** The service client these credentials belong to, or null (unknown id, wrong secret, malformed either). */
export async function authenticateServiceClient({
  db,
  clientId,
  clientSecret,
}: AuthenticateServiceClientOptions): Promise<ServiceClient | null> {
  const stored = typeof clientId === 'string' ? await findServiceClient(db, clientId) : null;
  return judge(stored, clientSecret);
}

export type ServiceClientAuthenticator = (clientId: string, clientSecret: string) => Promise<ServiceClient | null>;

/**
 * `authenticateServiceClient` for a server: what the database said of a `client_id` (found or not)
 * is kept for `maxAgeMs` (1 s by default), so a service introspecting thousands of times a minute
 * costs one lookup a second, and a deleted client is refused everywhere within that second. At most
 * `maxEntries` ids are kept, so made-up ids cannot grow the memory.
 */
export function createServiceClientAuthenticator({
  db,
  clock,
  maxAgeMs = 1000,
  maxEntries = 1000,
}: {
  db: Db;
  clock: Clock;
  maxAgeMs?: number;
  maxEntries?: number;
}): ServiceClientAuthenticator {
  const known = new Map<string, { stored: Promise<StoredServiceClient | null>; at: number }>();
  return async (clientId, clientSecret) => {
    if (typeof clientId !== 'string') return judge(null, clientSecret);
    const now = clock.now();
    let entry = known.get(clientId);
    if (!entry || now - entry.at >= maxAgeMs) {
      if (known.size >= maxEntries) known.clear();
      const fresh = { stored: findServiceClient(db, clientId), at: now };
      known.set(clientId, fresh);
      // A failed lookup is not kept: the next request asks again.
      fresh.stored.catch(() => {
        if (known.get(clientId) === fresh) known.delete(clientId);
      });
      entry = fresh;
    }
    return judge(await entry.stored, clientSecret);
  };
}
