// Service clients, the callers of introspection: made with a secret shown once and stored only as
// a hash, listed without it, deleted by client_id, and authenticated by a constant-time comparison
// that treats an unknown id like a wrong secret.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { hashSecret } from '../src/server-only/hash';
import {
  authenticateServiceClient,
  createServiceClientAuthenticator,
} from '../src/server-only/service-client/authenticate-service-client';
import { createServiceClient } from '../src/server-only/service-client/create-service-client';
import { deleteServiceClient } from '../src/server-only/service-client/delete-service-client';
import { listServiceClients } from '../src/server-only/service-client/list-service-clients';
import { describeEachDatabase } from '../src/testing/index';
import { SERVICE_CLIENT_ID_REGEX, SERVICE_CLIENT_SECRET_REGEX } from '../src/universal/service-client-format';
import { expectAppError, unique } from './helpers';

const START = Date.UTC(2026, 6, 1, 9, 0, 0);

describeEachDatabase('service clients', (getDatabase) => {
  it('creates a client whose secret is shown once and stored only as its SHA-256 hash', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const name = `Billing ${unique()}`;
    const created = await createServiceClient({ db, clock, name: `  ${name}  ` });
    expect(created).toEqual({
      clientId: expect.stringMatching(SERVICE_CLIENT_ID_REGEX),
      clientSecret: expect.stringMatching(SERVICE_CLIENT_SECRET_REGEX),
      name,
      createdAt: new Date(START),
    });
    const row = await db
      .selectFrom('service_clients')
      .selectAll()
      .where('client_id', '=', created.clientId)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashSecret(created.clientSecret));
    expect(JSON.stringify(row)).not.toContain(created.clientSecret);
    expect(JSON.stringify(row)).not.toContain(created.clientSecret.slice(4));
  });

  it('lists clients oldest first, without secrets or hashes', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const first = await createServiceClient({ db, clock, name: `First ${unique()}` });
    clock.advance(1000);
    const second = await createServiceClient({ db, clock, name: `Second ${unique()}` });
    const listed = await listServiceClients({ db });
    const ours = listed.filter((c) => [first.clientId, second.clientId].includes(c.clientId));
    expect(ours).toEqual([
      { clientId: first.clientId, name: first.name, createdAt: new Date(START) },
      { clientId: second.clientId, name: second.name, createdAt: new Date(START + 1000) },
    ]);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(first.clientSecret);
    expect(text).not.toContain(hashSecret(first.clientSecret));
  });

  it('refuses a blank, short or invisible-character name with INVALID_BODY', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    for (const name of ['   ', 'ab', 'zero\u200bwidth', 'x'.repeat(101)]) {
      await expectAppError(createServiceClient({ db, clock, name }), 'INVALID_BODY');
    }
  });

  it('authenticates the right secret only; an unknown, malformed or deleted id is null like a bad secret', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const created = await createServiceClient({ db, clock, name: `Orders ${unique()}` });
    const other = await createServiceClient({ db, clock, name: `Other ${unique()}` });
    const { clientId, clientSecret } = created;

    const found = await authenticateServiceClient({ db, clientId, clientSecret });
    expect(found).toEqual({ id: expect.any(Number), clientId, name: created.name });

    for (const [id, secret] of [
      [clientId, other.clientSecret],
      [clientId, `${clientSecret}x`],
      [clientId, clientSecret.slice(0, -1)],
      [clientId, ''],
      [other.clientId, clientSecret],
      ['svc_AAAAAAAAAAAAAAAAAAAA', clientSecret],
      ['not an id', clientSecret],
      ['', ''],
    ] as const) {
      expect(await authenticateServiceClient({ db, clientId: id, clientSecret: secret }), `${id}`).toBeNull();
    }

    expect(await deleteServiceClient({ db, clientId })).toEqual({ clientId, name: created.name });
    expect(await authenticateServiceClient({ db, clientId, clientSecret })).toBeNull();
    expect((await listServiceClients({ db })).map((c) => c.clientId)).not.toContain(clientId);
    // The other client is untouched.
    expect(await authenticateServiceClient({ db, ...other })).toMatchObject({ clientId: other.clientId });
  });

  it('deleting an unknown client_id is NOT_FOUND', async () => {
    const { db } = getDatabase();
    await expectAppError(deleteServiceClient({ db, clientId: 'svc_BBBBBBBBBBBBBBBBBBBB' }), 'NOT_FOUND');
  });

  it('the server authenticator keeps what it read of an id for a second; a deletion holds after it', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const created = await createServiceClient({ db, clock, name: `Cached ${unique()}` });
    const authenticate = createServiceClientAuthenticator({ db, clock });
    expect(await authenticate(created.clientId, created.clientSecret)).toMatchObject({ clientId: created.clientId });
    // The wrong secret is refused from the cache too.
    expect(await authenticate(created.clientId, 'lks_wrong')).toBeNull();

    await deleteServiceClient({ db, clientId: created.clientId });
    clock.advance(999);
    expect(await authenticate(created.clientId, created.clientSecret)).not.toBeNull();
    clock.advance(1);
    expect(await authenticate(created.clientId, created.clientSecret)).toBeNull();
  });

  it('after more made-up ids than it keeps (maxEntries), the authenticator still lets a real client in', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const created = await createServiceClient({ db, clock, name: `Flooded ${unique()}` });
    const authenticate = createServiceClientAuthenticator({ db, clock, maxEntries: 3 });
    for (let i = 0; i < 10; i++) {
      expect(await authenticate(`svc_${String(i).padStart(20, '0')}`, 'lks_x')).toBeNull();
    }
    expect(await authenticate(created.clientId, created.clientSecret)).toMatchObject({ name: created.name });
  });
});
