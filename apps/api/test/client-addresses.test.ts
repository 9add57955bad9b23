// Client addresses are normalised before any use: the spellings of one IPv4 address
// (`198.51.100.9`, `::ffff:198.51.100.9`, `::ffff:c633:6409`, `0:0:0:0:0:ffff:198.51.100.9`) are
// one client in every limit, an IPv6 client is limited per /64, and the address lists of tokens,
// usage and audit events see the one spelling (the full address, not the /64). The clients come
// through a trusted proxy (the test's loopback connection) with X-Forwarded-For.
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiToken, getAuditEvents } from '@latchkey/lib';
import { startServer, type StartServerOptions, type TestServer } from './support/server';

const SPELLINGS = ['198.51.100.9', '::ffff:198.51.100.9', '::ffff:c633:6409', '0:0:0:0:0:ffff:198.51.100.9'];

const servers: TestServer[] = [];
async function behindProxy(options: StartServerOptions = {}): Promise<TestServer> {
  const server = await startServer({ ...options, config: { trustProxy: 'loopback', ...options.config } });
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.leakedSecrets()).toEqual([]);
    await server.close();
  }
});

const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** `count` addresses of the /64 `prefix` (four groups), each with a random interface part. */
function addressesOf64(prefix: string, count: number): string[] {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16);
  return Array.from({ length: count }, (_, i) => `${prefix}:${(i + 1).toString(16)}:${group()}:${group()}:${group()}`);
}

async function trpcCall(server: TestServer, path: string, ip: string, input?: unknown) {
  const init: RequestInit =
    input === undefined
      ? { headers: from(ip) }
      : {
          method: 'POST',
          headers: { ...from(ip), 'content-type': 'application/json', origin: server.url },
          body: JSON.stringify(superjson.serialize(input)),
        };
  const res = await server.request(`/api/trpc/${path}`, init);
  await res.text();
  return res.status;
}

describe('per-address limits count the spellings of one address as one', () => {
  it('REST per IP (RATE_LIMIT_IP_PER_MINUTE)', async () => {
    const server = await behindProxy({ rateLimits: { ipPerMinute: 1 } });
    const statuses = [];
    for (const ip of SPELLINGS)
      statuses.push((await server.api('GET', '/api/v1/openapi.json', { headers: from(ip) })).status);
    expect(statuses).toEqual([200, 429, 429, 429]);
    expect((await server.api('GET', '/api/v1/openapi.json', { headers: from('198.51.100.10') })).status).toBe(200);
  });

  it('failed authentications (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE)', async () => {
    const server = await behindProxy({ rateLimits: { authFailuresPerMinute: 1 } });
    const user = await server.createTestUser('Spelled');
    const { token } = await server.createTestToken(user);
    expect((await server.api('GET', '/api/v1/me', { headers: from('::ffff:198.51.100.9') })).status).toBe(401);
    for (const ip of SPELLINGS)
      expect((await server.api('GET', '/api/v1/me', { token, headers: from(ip) })).status, ip).toBe(429);
    expect((await server.api('GET', '/api/v1/me', { token, headers: from('198.51.100.10') })).status).toBe(200);
  });

  it('tRPC per IP (RATE_LIMIT_TRPC_PER_MINUTE)', async () => {
    const server = await behindProxy({ rateLimits: { trpcPerMinute: 1 } });
    const statuses = [];
    for (const ip of SPELLINGS) statuses.push(await trpcCall(server, 'auth.me', ip));
    expect(statuses).toEqual([200, 429, 429, 429]);
  });

  it('sign-in failures (RATE_LIMIT_SIGN_IN_FAILURES)', async () => {
    const server = await behindProxy({ rateLimits: { signInFailures: 1 } });
    const user = await server.createTestUser('Sign In Spelled');
    server.remember('not the password');
    expect(
      await trpcCall(server, 'auth.signIn', '198.51.100.9', { email: user.email, password: 'not the password' }),
    ).toBe(401);
    for (const ip of SPELLINGS.slice(1)) {
      const status = await trpcCall(server, 'auth.signIn', ip, { email: user.email, password: user.password });
      expect(status, ip).toBe(429);
    }
  });

  it('leak reports (RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR)', async () => {
    const server = await behindProxy({ rateLimits: { credentialRevokePerHour: 1 } });
    const report = (ip: string) =>
      server.api('POST', '/api/v1/credentials/revoke', {
        body: { credentials: [generateApiToken()] },
        headers: from(ip),
      });
    const statuses = [];
    for (const ip of SPELLINGS) statuses.push((await report(ip)).status);
    expect(statuses).toEqual([202, 429, 429, 429]);
  });
});

describe('IPv6 clients are limited per /64', () => {
  it('REST per IP: 200 addresses of one /64 share one limit; another /64 has its own', async () => {
    const server = await behindProxy({ rateLimits: { ipPerMinute: 10 } });
    const statuses = [];
    for (const ip of addressesOf64('2001:db8:1:2', 200))
      statuses.push((await server.api('GET', '/api/v1/openapi.json', { headers: from(ip) })).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(190);
    expect((await server.api('GET', '/api/v1/openapi.json', { headers: from('2001:db8:1:3::1') })).status).toBe(200);
  });

  it('failed authentications: a failure from one address of a /64 holds back the others', async () => {
    const server = await behindProxy({ rateLimits: { authFailuresPerMinute: 3 } });
    const user = await server.createTestUser('Six');
    const { token } = await server.createTestToken(user);
    const [a, b, c, d] = addressesOf64('2001:db8:0:7', 4);
    for (const ip of [a!, b!, c!])
      expect(
        (await server.api('GET', '/api/v1/me', { authorization: `Bearer ${generateApiToken()}`, headers: from(ip) }))
          .status,
      ).toBe(401);
    expect((await server.api('GET', '/api/v1/me', { token, headers: from(d!) })).status).toBe(429);
    expect((await server.api('GET', '/api/v1/me', { token, headers: from('2001:db8:0:8::1') })).status).toBe(200);
  });

  it('tRPC per IP, sign-in failures and leak reports', async () => {
    const server = await behindProxy({
      rateLimits: { trpcPerMinute: 3, signInFailures: 1, credentialRevokePerHour: 1 },
    });
    const user = await server.createTestUser('Six Four');
    server.remember('wrong again');
    const [a, b, c, d, e] = addressesOf64('2001:db8:5:5', 5);
    expect(await trpcCall(server, 'auth.signIn', a!, { email: user.email, password: 'wrong again' })).toBe(401);
    // The /64's one failure is used: even the right password waits.
    expect(await trpcCall(server, 'auth.signIn', b!, { email: user.email, password: user.password })).toBe(429);
    expect(await trpcCall(server, 'auth.me', c!)).toBe(200);
    // Three calls of the /64 so far: the tRPC limit is reached.
    expect(await trpcCall(server, 'auth.me', d!)).toBe(429);
    expect(await trpcCall(server, 'auth.me', '2001:db8:5:6::1')).toBe(200);

    const report = (ip: string) =>
      server.api('POST', '/api/v1/credentials/revoke', {
        body: { credentials: [generateApiToken()] },
        headers: from(ip),
      });
    expect((await report(a!)).status).toBe(202);
    expect((await report(e!)).status).toBe(429);
    expect((await report('2001:db8:5:6::1')).status).toBe(202);
  });
});

describe('what the address lists, usage and audit events see: the full address, in one spelling', () => {
  it('allowedIps, the recent addresses of usage, and the ip of audit events', async () => {
    const server = await behindProxy();
    const user = await server.createTestUser('Seen');
    const parent = await server.createTestToken(user);
    const created = await server.api('POST', '/api/v1/tokens', {
      token: parent.token,
      body: { name: 'Address limited', expiresIn: 'ONE_MONTH', allowedIps: ['198.51.100.9', '2001:db8::1'] },
      headers: from('::ffff:198.51.100.9'),
    });
    expect(created.status).toBe(201);
    const limited: string = created.body.token;

    const me = (ip: string) => server.api('GET', '/api/v1/me', { token: limited, headers: from(ip) });
    for (const ip of [...SPELLINGS, '2001:DB8:0:0:0:0:0:1', '2001:0db8::0001'])
      expect((await me(ip)).status, ip).toBe(200);
    // The address list is of full addresses: another address of the same /64 is refused.
    expect((await me('2001:db8:0:0::0002')).status).toBe(403);

    await server.lastUsed.flush();
    const usage = await server.api('GET', `/api/v1/tokens/${created.body.id}/usage`, { token: parent.token });
    expect(usage.status).toBe(200);
    // Eight requests from three addresses (the refused one was presented too): three recent addresses.
    expect(usage.body.recentIps.map((seen: { ip: string }) => seen.ip).sort()).toEqual([
      '198.51.100.9',
      '2001:db8::1',
      '2001:db8::2',
    ]);

    const refused = await getAuditEvents({ db: server.db, userId: user.id, type: 'token.ip_refused' });
    expect(refused.events.map((event) => event.ip)).toEqual(['2001:db8::2']);
    const made = await getAuditEvents({ db: server.db, userId: user.id, type: 'token.created' });
    expect(made.events.find((event) => event.tokenId === created.body.id)?.ip).toBe('198.51.100.9');

    server.remember('a wrong one');
    expect(
      await trpcCall(server, 'auth.signIn', '::ffff:c633:6409', { email: user.email, password: 'a wrong one' }),
    ).toBe(401);
    const failed = await getAuditEvents({ db: server.db, userId: user.id, type: 'user.sign_in_failed' });
    expect(failed.events.map((event) => event.ip)).toEqual(['198.51.100.9']);
  });
});
