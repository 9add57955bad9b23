// The request check over HTTP: header forms, and every way a token can fail, each with the exact
// 401 body and WWW-Authenticate header of API.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disableUser,
  generateApiToken,
  hashSecret,
  tokenChecksum,
  tokenStart,
  type CreatedApiToken,
} from '@latchkey/lib';
import { DAY, START_TIME, startServer, type TestServer } from './support/server';

const MISSING = { code: 'UNAUTHORIZED', message: 'API token was not provided' };
const INVALID = { code: 'UNAUTHORIZED', message: 'Invalid token' };
const EXPIRED = { code: 'UNAUTHORIZED', message: 'Expired token' };
const CHALLENGE = 'Bearer realm="api"';
const CHALLENGE_INVALID = 'Bearer realm="api", error="invalid_token"';

let server: TestServer;
let user: Awaited<ReturnType<TestServer['createTestUser']>>;
let token: CreatedApiToken;

beforeAll(async () => {
  server = await startServer();
  user = await server.createTestUser('Grace');
  token = await server.createTestToken(user, { name: 'main' });
});
afterAll(async () => {
  await server?.close();
});

async function me(authorization?: string) {
  return server.api('GET', '/api/v1/me', authorization === undefined ? {} : { authorization });
}

async function expectRefused(authorization: string | undefined, body: object, challenge: string) {
  const res = await me(authorization);
  expect(res.status).toBe(401);
  expect(res.body).toEqual(body);
  expect(res.headers.get('www-authenticate')).toBe(challenge);
  return res;
}

describe('the Authorization header', () => {
  it('accepts `Bearer <token>`', async () => {
    const res = await me(`Bearer ${token.token}`);
    expect(res.status).toBe(200);
    expect(res.body.token.id).toBe(token.id);
  });

  it('accepts the bare token', async () => {
    const res = await me(token.token);
    expect(res.status).toBe(200);
    expect(res.body.token.id).toBe(token.id);
  });

  it('accepts the scheme in any case: `bearer` and `BEARER`', async () => {
    expect((await me(`bearer ${token.token}`)).status).toBe(200);
    expect((await me(`BEARER ${token.token}`)).status).toBe(200);
  });

  it('accepts several spaces or a tab between the scheme and the token', async () => {
    expect((await me(`Bearer    ${token.token}`)).status).toBe(200);
    expect((await me(`Bearer\t${token.token}`)).status).toBe(200);
  });

  it('answers 401 "API token was not provided" without error= when the header is missing', async () => {
    await expectRefused(undefined, MISSING, CHALLENGE);
  });

  it('treats an empty header and a bare `Bearer` as missing', async () => {
    await expectRefused('', MISSING, CHALLENGE);
    await expectRefused('Bearer', MISSING, CHALLENGE);
  });

  it('answers 401 "Invalid token" with error="invalid_token" for another scheme or extra words', async () => {
    await expectRefused(`Basic ${Buffer.from('a:b').toString('base64')}`, INVALID, CHALLENGE_INVALID);
    await expectRefused(`Bearer ${token.token} extra`, INVALID, CHALLENGE_INVALID);
    await expectRefused(`Token ${token.token}`, INVALID, CHALLENGE_INVALID);
  });

  it('refuses a header over 1024 characters, even around a valid token', async () => {
    expect((await me(`Bearer${' '.repeat(1024 - 7 - 40)} ${token.token}`)).status).toBe(200);
    await expectRefused(`Bearer${' '.repeat(1025 - 7 - 40)} ${token.token}`, INVALID, CHALLENGE_INVALID);
  });
});

describe('a token that fails the check', () => {
  it('answers 401 "Invalid token" for malformed tokens', async () => {
    for (const bad of [
      'api_short',
      token.token.slice(0, -1),
      `${token.token}0`,
      token.token.replace('api_', 'key_'),
      token.token.replace(/^api_./, 'api_-'),
    ]) {
      await expectRefused(`Bearer ${bad}`, INVALID, CHALLENGE_INVALID);
    }
  });

  it('rejects a token whose checksum does not match, without a database lookup', async () => {
    // A row stored under the hash of a bad-checksum token: found only if the server looked it up.
    const random = token.token.slice(4, 34);
    const good = tokenChecksum(random);
    const wrong = (good[0] === '0' ? '1' : '0') + good.slice(1);
    const forged = `api_${random}${wrong}`;
    await server.db
      .insertInto('api_tokens')
      .values({
        name: 'forged',
        token_hash: hashSecret(forged),
        algorithm: 'sha256',
        start: tokenStart(forged),
        scopes: JSON.stringify(['tokens:read']),
        expires_at: null,
        revoke_at: null,
        created_at: START_TIME,
        last_used_at: null,
        user_id: user.id,
        team_id: null,
        created_by: user.id,
      })
      .execute();
    await expectRefused(`Bearer ${forged}`, INVALID, CHALLENGE_INVALID);
  });

  it('answers 401 "Invalid token" for a well-formed token that was never issued', async () => {
    await expectRefused(`Bearer ${generateApiToken()}`, INVALID, CHALLENGE_INVALID);
  });

  it('answers 401 "Expired token" once the clock passes expiresAt', async () => {
    const short = await server.createTestToken(user, { name: 'a week', expiresIn: 'SEVEN_DAYS' });
    try {
      server.clock.set(START_TIME + 7 * DAY - 1);
      expect((await me(`Bearer ${short.token}`)).status).toBe(200);
      server.clock.set(START_TIME + 7 * DAY);
      await expectRefused(`Bearer ${short.token}`, EXPIRED, CHALLENGE_INVALID);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('answers 401 "Invalid token" for a deleted token, the same as an unknown one', async () => {
    const doomed = await server.createTestToken(user, { name: 'doomed' });
    expect((await me(`Bearer ${doomed.token}`)).status).toBe(200);
    expect((await server.api('DELETE', `/api/v1/tokens/${doomed.id}`, { token: token.token })).status).toBe(204);
    await expectRefused(`Bearer ${doomed.token}`, INVALID, CHALLENGE_INVALID);
  });

  it('answers 401 "Invalid token" for a token rotated without grace', async () => {
    const old = await server.createTestToken(user, { name: 'rotated' });
    const rotated = await server.api('POST', `/api/v1/tokens/${old.id}/rotate`, {
      token: token.token,
      body: { gracePeriodSeconds: 0 },
    });
    expect(rotated.status).toBe(201);
    await expectRefused(`Bearer ${old.token}`, INVALID, CHALLENGE_INVALID);
    expect((await me(`Bearer ${rotated.body.token}`)).status).toBe(200);
  });

  it('lets a rotated token work through its grace period and no longer', async () => {
    const old = await server.createTestToken(user, { name: 'grace' });
    const rotated = await server.api('POST', `/api/v1/tokens/${old.id}/rotate`, {
      token: token.token,
      body: { gracePeriodSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    try {
      server.clock.advance(59_999);
      expect((await me(old.token)).status).toBe(200);
      server.clock.advance(1);
      await expectRefused(old.token, INVALID, CHALLENGE_INVALID);
      expect((await me(rotated.body.token)).status).toBe(200);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('answers 401 "Invalid token" once the token\'s user is disabled', async () => {
    const leaving = await server.createTestUser('Leaving');
    const theirs = await server.createTestToken(leaving, { name: 'theirs' });
    expect((await me(`Bearer ${theirs.token}`)).status).toBe(200);
    await disableUser({ db: server.db, clock: server.clock, email: leaving.email });
    await expectRefused(`Bearer ${theirs.token}`, INVALID, CHALLENGE_INVALID);
  });

  it('still sends X-RateLimit-* headers on a 401', async () => {
    const res = await me('Bearer nope');
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
  });
});

describe('logs', () => {
  it('hold no plain token, password or session id', () => {
    expect(server.logs.length).toBeGreaterThan(10);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
