// RFC 7662 introspection and RFC 8414 discovery, as a real OAuth client library (oauth4webapi) sees
// them with both ways a service client authenticates, and every refusal and limit by hand: answers
// for active and inactive tokens, bad client credentials, bodies, and limits per service client.
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiToken,
  createServiceClient,
  deleteApiTokenById,
  deleteServiceClient,
  disableUser,
  getApiTokenById,
  rotateApiToken,
  type CreatedServiceClient,
} from '@latchkey/lib';
import { DAY, MINUTE, rateLimitHeaders, startServer, windowEndSeconds, type TestServer } from './support/server';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const INACTIVE_TEXT = '{"active":false}';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function newServiceClient(on: TestServer = server): Promise<CreatedServiceClient> {
  const created = await createServiceClient({ db: on.db, clock: on.clock, name: 'Billing service' });
  on.remember(created.clientSecret);
  return created;
}

type Answer = { status: number; headers: Headers; text: string; body: any };

/** POSTs a form to /api/v1/introspect; `basic` sends the client as Basic credentials (form-encoded parts). */
async function introspect(
  form: Record<string, string> | string,
  options: { basic?: CreatedServiceClient; headers?: Record<string, string>; on?: TestServer; method?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  if (options.basic) {
    const { clientId, clientSecret } = options.basic;
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`;
  }
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  const response = await (options.on ?? server).request('/api/v1/introspect', {
    method: options.method ?? 'POST',
    headers,
    body: options.method === 'GET' ? undefined : body,
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, body: json };
}

/** The client's own form parameters (client_secret_post) with `extra`. */
function posted(client: CreatedServiceClient, extra: Record<string, string>): Record<string, string> {
  return { client_id: client.clientId, client_secret: client.clientSecret, ...extra };
}

/** Discovery through oauth4webapi, as a service would start. */
async function discover(on: TestServer = server, issuer = new URL(on.url)) {
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE });
  return oauth.processDiscoveryResponse(issuer, response);
}

describe('discovery (RFC 8414)', () => {
  it('oauth4webapi finds the introspection endpoint; the issuer is the origin and its exact prefix', async () => {
    const as = await discover();
    expect(as).toEqual({
      issuer: server.url,
      introspection_endpoint: `${server.url}/api/v1/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  });

  it('with PUBLIC_URL the issuer is PUBLIC_URL, whatever Host the request came with', async () => {
    const behind = await startServer({ config: { publicUrl: 'https://tokens.example.com' } });
    try {
      const response = await fetch(`${behind.url}/.well-known/oauth-authorization-server`);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const as = await oauth.processDiscoveryResponse(new URL('https://tokens.example.com'), response);
      expect(as.issuer).toBe('https://tokens.example.com');
      expect(as.introspection_endpoint).toBe('https://tokens.example.com/api/v1/introspect');
    } finally {
      await behind.close();
    }
  });
});

describe('introspection through oauth4webapi', () => {
  it('accepts the active answer with client_secret_basic and client_secret_post alike', async () => {
    const user = await server.createTestUser('Ada Active');
    const token = await server.createTestToken(user, { name: 'ci deploy', scopes: ['tokens:read', 'audit:read'] });
    const service = await newServiceClient();
    const as = await discover();
    const client: oauth.Client = { client_id: service.clientId };
    const expected = {
      active: true,
      scope: 'tokens:read audit:read',
      token_type: 'Bearer',
      sub: `user:${user.id}`,
      username: user.email,
      iat: Math.floor(server.clock.now() / 1000),
      iss: server.url,
      jti: String(token.id),
      latchkey: {
        tokenId: token.id,
        name: 'ci deploy',
        userId: user.id,
        teamId: null,
        teamSlug: null,
        allowedIps: [],
      },
    };
    for (const auth of [oauth.ClientSecretBasic(service.clientSecret), oauth.ClientSecretPost(service.clientSecret)]) {
      const response = await oauth.introspectionRequest(as, client, auth, token.token, INSECURE);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await oauth.processIntrospectionResponse(as, client, response)).toEqual(expected);
    }
  });

  it('accepts the inactive answer with both methods, and it is exactly {"active":false}', async () => {
    const service = await newServiceClient();
    const as = await discover();
    const client: oauth.Client = { client_id: service.clientId };
    for (const auth of [oauth.ClientSecretBasic(service.clientSecret), oauth.ClientSecretPost(service.clientSecret)]) {
      const response = await oauth.introspectionRequest(as, client, auth, `api_${'A'.repeat(36)}`, INSECURE);
      expect(await response.clone().text()).toBe(INACTIVE_TEXT);
      expect(await oauth.processIntrospectionResponse(as, client, response)).toEqual({ active: false });
    }
  });

  it('a team token: sub team:<id>, username its slug, exp in seconds, the maker as userId', async () => {
    const admin = await server.createTestUser('Tess Team');
    const team = await server.createTestTeam(admin, 'Payments Crew');
    const token = await server.createTestToken(admin, {
      teamId: team.id,
      expiresIn: 'ONE_MONTH',
      scopes: ['tokens:write'],
    });
    const service = await newServiceClient();
    const as = await discover();
    const client: oauth.Client = { client_id: service.clientId };
    const response = await oauth.introspectionRequest(
      as,
      client,
      oauth.ClientSecretBasic(service.clientSecret),
      token.token,
      INSECURE,
    );
    const answer = await oauth.processIntrospectionResponse(as, client, response);
    expect(answer).toMatchObject({
      active: true,
      scope: 'tokens:write',
      sub: `team:${team.id}`,
      username: team.slug,
      exp: Math.floor((server.clock.now() + 30 * DAY) / 1000),
      latchkey: { tokenId: token.id, userId: admin.id, teamId: team.id, teamSlug: team.slug },
    });
  });
});

describe('what is inactive', () => {
  it('unknown, malformed, expired, deleted, rotated-away, disabled owner: exactly {"active":false}', async () => {
    const service = await newServiceClient();
    const ask = async (token: string) => introspect(posted(service, { token }));
    const expectInactive = async (token: string, why: string) => {
      const answer = await ask(token);
      expect({ status: answer.status, text: answer.text }, why).toEqual({ status: 200, text: INACTIVE_TEXT });
    };

    await expectInactive(`api_${'B'.repeat(36)}`, 'unknown (bad checksum)');
    await expectInactive('not a token at all', 'malformed');

    const user = await server.createTestUser('Ivy Inactive');
    const expiring = await server.createTestToken(user, { expiresIn: 'SEVEN_DAYS' });
    expect((await ask(expiring.token)).body.active).toBe(true);

    const deleted = await server.createTestToken(user, { name: 'to delete' });
    expect((await ask(deleted.token)).body.active).toBe(true);
    await deleteApiTokenById({ db: server.db, clock: server.clock, userId: user.id, id: deleted.id });
    await expectInactive(deleted.token, 'deleted');

    const old = await server.createTestToken(user, { name: 'rotated' });
    const successor = await rotateApiToken({ db: server.db, clock: server.clock, userId: user.id, id: old.id });
    server.remember(successor.token);
    await expectInactive(old.token, 'rotated away');
    expect((await ask(successor.token)).body.active).toBe(true);

    server.clock.advance(7 * DAY);
    await expectInactive(expiring.token, 'expired');

    const leaver = await server.createTestUser('Lee Leaver');
    const personal = await server.createTestToken(leaver);
    expect((await ask(personal.token)).body.active).toBe(true);
    await disableUser({ db: server.db, clock: server.clock, email: leaver.email });
    await expectInactive(personal.token, 'owner disabled');
  });

  it('client_ip meets allowedIps: inside active, outside or missing inactive, not an address 400', async () => {
    const user = await server.createTestUser('Otto Office');
    const created = await createApiToken({
      db: server.db,
      clock: server.clock,
      userId: user.id,
      name: 'office only',
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
    });
    server.remember(created.token);
    const service = await newServiceClient();
    const ask = (extra: Record<string, string>) => introspect(posted(service, { token: created.token, ...extra }));

    for (const ip of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::7']) {
      const answer = await ask({ client_ip: ip });
      expect(answer.body, ip).toMatchObject({
        active: true,
        latchkey: { allowedIps: ['10.0.0.0/8', '2001:db8::/32'] },
      });
    }
    for (const ip of ['192.168.0.1', '2001:db9::1'])
      expect((await ask({ client_ip: ip })).text, ip).toBe(INACTIVE_TEXT);
    expect((await ask({})).text).toBe(INACTIVE_TEXT);

    for (const ip of ['nope', '10.0.0', '10.0.0.1/8', '']) {
      const answer = await ask({ client_ip: ip });
      expect({ status: answer.status, body: answer.body }, ip).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'client_ip must be an IPv4 or IPv6 address' },
      });
    }
    // A token with no address list is active with or without client_ip.
    const open = await server.createTestToken(user, { name: 'anywhere' });
    expect((await introspect(posted(service, { token: open.token }))).body.active).toBe(true);
    expect((await introspect(posted(service, { token: open.token, client_ip: '192.0.2.1' }))).body.active).toBe(true);
  });
});

describe('refusals', () => {
  const INVALID_CLIENT = '{"error":"invalid_client"}';

  it('bad client credentials: 401 {"error":"invalid_client"} and WWW-Authenticate: Basic, for any fault', async () => {
    const user = await server.createTestUser('Rita Refused');
    const { token } = await server.createTestToken(user);
    const service = await newServiceClient();
    const other = await newServiceClient();
    const cases: Array<[string, Promise<Answer>]> = [
      ['no credentials', introspect({ token })],
      ['wrong secret (post)', introspect({ token, client_id: service.clientId, client_secret: other.clientSecret })],
      ['no secret (post)', introspect({ token, client_id: service.clientId })],
      ['unknown id (post)', introspect({ token, client_id: 'svc_AAAAAAAAAAAAAAAAAAAA', client_secret: 'lks_x' })],
      ['wrong secret (basic)', introspect({ token }, { basic: { ...service, clientSecret: other.clientSecret } })],
      ['a Bearer token instead', introspect({ token }, { headers: { authorization: `Bearer ${token}` } })],
      [
        'Basic without a colon',
        introspect({ token }, { headers: { authorization: `Basic ${btoa(service.clientId)}` } }),
      ],
      ['Basic, not base64', introspect({ token }, { headers: { authorization: 'Basic %%%' } })],
    ];
    for (const [why, pending] of cases) {
      const answer = await pending;
      expect({ status: answer.status, text: answer.text }, why).toEqual({ status: 401, text: INVALID_CLIENT });
      expect(answer.headers.get('www-authenticate'), why).toMatch(/^Basic\b/);
      expect(answer.headers.get('cache-control'), why).toBe('no-store');
    }
  });

  it('a deleted service client is refused (401) once the server’s one-second memory of it has passed', async () => {
    const user = await server.createTestUser('Dora Deleted');
    const { token } = await server.createTestToken(user);
    const service = await newServiceClient();
    expect((await introspect({ token }, { basic: service })).body.active).toBe(true);
    await deleteServiceClient({ db: server.db, clientId: service.clientId });
    server.clock.advance(1000);
    const answer = await introspect({ token }, { basic: service });
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 401, text: INVALID_CLIENT });
  });

  it('no token: 400 invalid_request; a parameter twice or two ways of authenticating: 400', async () => {
    const service = await newServiceClient();
    for (const form of [{}, { token: '' }, { token_type_hint: 'access_token' }] as Record<string, string>[]) {
      const answer = await introspect(form, { basic: service });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'token is required' },
      });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    const twice = await introspect('token=a&token=b', { basic: service });
    expect(twice.body).toEqual({ error: 'invalid_request', error_description: 'token is given more than once' });
    const both = await introspect(posted(service, { token: 'x' }), { basic: service });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
  });

  it('token_type_hint and unknown parameters are ignored (RFC 7662 and RFC 6749)', async () => {
    const user = await server.createTestUser('Hugo Hint');
    const { token } = await server.createTestToken(user);
    const service = await newServiceClient();
    const answer = await introspect({ token, token_type_hint: 'refresh_token', resource: 'x' }, { basic: service });
    expect(answer.body.active).toBe(true);
  });

  it('only POST (405 with Allow), only forms (415), at most 16 KB (413)', async () => {
    const service = await newServiceClient();
    const get = await introspect({}, { basic: service, method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.body.code).toBe('METHOD_NOT_ALLOWED');

    const json = await introspect('{"token":"x"}', { basic: service, headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(415);
    expect(json.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const latin = await introspect('token=x', {
      basic: service,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
    });
    expect(latin.status).toBe(415);

    const large = await introspect({ token: 'x'.repeat(16 * 1024) }, { basic: service });
    expect(large.status).toBe(413);
    expect(large.body.code).toBe('PAYLOAD_TOO_LARGE');
    // Just under the limit is read, and the token in it judged.
    const under = await introspect(`token=${'x'.repeat(16 * 1024 - 200)}`, { basic: service });
    expect({ status: under.status, text: under.text }).toEqual({ status: 200, text: INACTIVE_TEXT });
  });
});

describe('limits and uses', () => {
  it('limits each service client (RATE_LIMIT_SERVICE_PER_MINUTE): X-RateLimit-*, then 429, Retry-After', async () => {
    const limited = await startServer({ rateLimits: { servicePerMinute: 3 } });
    try {
      const user = await limited.createTestUser('Lina Limited');
      const { token } = await limited.createTestToken(user);
      const service = await newServiceClient(limited);
      const other = await newServiceClient(limited);
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await introspect({ token }, { basic: service, on: limited });
        expect(answer.body.active).toBe(true);
        const headers = rateLimitHeaders(answer.headers);
        expect(headers.limit).toBe(3);
        expect(headers.reset).toBe(windowEndSeconds(limited.clock.now()));
        remaining.push(headers.remaining);
      }
      expect(remaining).toEqual([2, 1, 0]);
      const over = await introspect({ token }, { basic: service, on: limited });
      expect(over.status).toBe(429);
      expect(over.body.code).toBe('TOO_MANY_REQUESTS');
      expect(rateLimitHeaders(over.headers).retryAfter).toBe(30);
      // Another service client, from the same address, has its own limit.
      expect((await introspect({ token }, { basic: other, on: limited })).body.active).toBe(true);
      // The next minute, the first one may ask again.
      limited.clock.advance(MINUTE);
      expect((await introspect({ token }, { basic: service, on: limited })).body.active).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it('is never limited per address: inactive tokens do not lock the service’s address out of anything', async () => {
    const strict = await startServer({ rateLimits: { ipPerMinute: 3, authFailuresPerMinute: 2 } });
    try {
      const user = await strict.createTestUser('Sam Service');
      const { token } = await strict.createTestToken(user);
      const service = await newServiceClient(strict);
      for (let i = 0; i < 20; i++) {
        const made = `api_${String(i).padStart(36, 'C')}`;
        expect((await introspect({ token: made }, { basic: service, on: strict })).text).toBe(INACTIVE_TEXT);
      }
      expect((await introspect({ token }, { basic: service, on: strict })).body.active).toBe(true);
      // The same address is not refused by the REST API either: none of it was counted there.
      expect((await strict.api('GET', '/api/v1/me', { token })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('counts as a use of the token: its last use and its usage are recorded, with the client_ip', async () => {
    const user = await server.createTestUser('Una Used');
    const { token, id } = await server.createTestToken(user, { name: 'used via introspection' });
    const service = await newServiceClient();
    await introspect({ token, client_ip: '203.0.113.9' }, { basic: service });
    await server.lastUsed.flush();
    const stored = await getApiTokenById({ db: server.db, clock: server.clock, userId: user.id, id });
    expect(stored.lastUsedAt).toEqual(new Date(server.clock.now()));
    const recent = await server.db.selectFrom('api_token_recent_ips').select('ip').where('token_id', '=', id).execute();
    expect(recent.map((r) => r.ip)).toEqual(['203.0.113.9']);
  });

  it('logs no token and no client secret', async () => {
    await server.settleLogs();
    expect(server.leakedSecrets()).toEqual([]);
  });
});
