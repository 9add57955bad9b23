// Usage and the audit log over real HTTP: REST requests counted (failures too) and read back through
// tRPC after a flush; audit events of UI and REST changes; who may read them; bad input; reuse of a
// rotated-away token answered like any invalid token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, startServer, trpcError, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function signedIn() {
  const user = await server.createTestUser();
  const client = server.trpc();
  await client.auth.signIn.mutate({ email: user.email, password: user.password });
  return { user, client };
}

describe('apiToken.usage', () => {
  it('shows the REST requests made with a token, failures included, after a flush', async () => {
    const { user, client } = await signedIn();
    const token = await server.createTestToken(user, { scopes: ['tokens:read'] });
    for (let i = 0; i < 4; i++)
      expect(
        (await server.api('GET', '/api/v1/me', { token: token.token, headers: { 'user-agent': 'usage-test/1' } }))
          .status,
      ).toBe(200);
    expect(
      (await server.api('POST', '/api/v1/tokens', { token: token.token, body: { name: 'No scope' } })).status,
    ).toBe(403);
    expect((await server.api('GET', '/api/v1/tokens/999999', { token: token.token })).status).toBe(404);
    await server.lastUsed.flush();

    const usage = await client.apiToken.usage.query({ id: token.id });
    expect(usage.total).toEqual({ requests: 6, failed: 2 });
    expect(usage.buckets.at(-1)).toMatchObject({ requests: 6, failed: 2 });
    expect(usage.buckets[0]!.start).toBeInstanceOf(Date);
    expect(usage.recentIps).toEqual([
      { ip: expect.stringMatching(/127\.0\.0\.1/), userAgent: expect.any(String), lastSeenAt: expect.any(Date) },
    ]);
    const [listed] = await client.apiToken.getMany.query({});
    expect(listed!.lastUsedAt).toEqual(new Date(server.clock.now()));
  });

  it('counts as failed every answer after the check: limits, scope, body, route, each once', async () => {
    const limited = await startServer({ rateLimits: { ownerPerMinute: 12 } });
    try {
      const user = await limited.createTestUser();
      const client = limited.trpc();
      await client.auth.signIn.mutate({ email: user.email, password: user.password });
      const writer = await limited.createTestToken(user, { scopes: ['tokens:read', 'tokens:write'] });
      const reader = await limited.createTestToken(user, { scopes: ['tokens:read'] });
      const post = (rawBody: string, token = writer.token) => limited.api('POST', '/api/v1/tokens', { token, rawBody });
      const answers = [
        (await limited.api('GET', '/api/v1/me', { token: writer.token })).status,
        (await post('{"name":')).status,
        (await post(`{"name":"Deep","x":${'['.repeat(100)}${']'.repeat(100)}}`)).status,
        (await post(JSON.stringify({ name: 'x'.repeat(20_000) }))).status,
        (await post(JSON.stringify({ name: 'Typo', expires_in: 'NEVER' }))).status,
        (await limited.api('GET', '/api/v1/tokens/999999', { token: writer.token })).status,
        (await limited.api('DELETE', '/api/v1/tokens/999999', { token: writer.token })).status,
        (await limited.api('GET', '/api/v1/tokens/abc', { token: writer.token })).status,
      ];
      expect(answers).toEqual([200, 400, 400, 413, 400, 404, 404, 400]);
      // The reader: refused for its scope, then the owner's limit of 12 (both tokens) runs out.
      const readerAnswers = [(await post(JSON.stringify({ name: 'No scope' }), reader.token)).status];
      for (let i = 0; i < 5; i++)
        readerAnswers.push((await limited.api('GET', '/api/v1/me', { token: reader.token })).status);
      expect(readerAnswers).toEqual([403, 200, 200, 200, 429, 429]);
      await limited.lastUsed.flush();

      expect((await client.apiToken.usage.query({ id: writer.id })).total).toEqual({ requests: 8, failed: 7 });
      expect((await client.apiToken.usage.query({ id: reader.id })).total).toEqual({ requests: 6, failed: 3 });
    } finally {
      await limited.close();
    }
  });

  it('records nothing with USAGE_RECORDING=false (the switch pnpm bench measures recording with)', async () => {
    const quiet = await startServer({ config: { usageRecording: false } });
    try {
      const user = await quiet.createTestUser();
      const client = quiet.trpc();
      await client.auth.signIn.mutate({ email: user.email, password: user.password });
      const token = await quiet.createTestToken(user, { scopes: ['tokens:read'] });
      for (let i = 0; i < 3; i++)
        expect((await quiet.api('GET', '/api/v1/me', { token: token.token })).status).toBe(200);
      await quiet.lastUsed.flush();
      const usage = await client.apiToken.usage.query({ id: token.id });
      expect(usage.total).toEqual({ requests: 0, failed: 0 });
      expect(usage.recentIps).toEqual([]);
      const [listed] = await client.apiToken.getMany.query({});
      expect(listed!.lastUsedAt).toBeNull();
    } finally {
      await quiet.close();
    }
  });

  it('answers BAD_REQUEST naming the field for a bad range, NOT_FOUND for a token of someone else', async () => {
    const { user, client } = await signedIn();
    const other = await signedIn();
    const token = await server.createTestToken(user);
    const now = server.clock.now();
    const tooLong = await trpcError(
      client.apiToken.usage.query({ id: token.id, from: new Date(now - 40 * DAY), to: new Date(now) }),
    );
    expect(tooLong).toMatchObject({ code: 'BAD_REQUEST' });
    expect(tooLong.issues).toMatchObject([{ path: 'from' }]);
    const reversed = await trpcError(
      client.apiToken.usage.query({ id: token.id, from: new Date(now), to: new Date(now - 1) }),
    );
    expect(reversed.issues).toMatchObject([{ path: 'from' }]);
    const granularity = await trpcError(client.apiToken.usage.query({ id: token.id, granularity: 'week' as never }));
    expect(granularity.issues).toMatchObject([{ path: 'granularity' }]);
    expect((await trpcError(other.client.apiToken.usage.query({ id: token.id }))).code).toBe('NOT_FOUND');
  });
});

describe('audit.getMany', () => {
  it('lists the create and delete made in the UI and through REST, with actor and address', async () => {
    const { client } = await signedIn();
    const created = await client.apiToken.create.mutate({ name: 'Audited in UI' });
    const viaRest = await server.api('POST', '/api/v1/tokens', {
      token: created.token,
      body: { name: 'Made by REST' },
      headers: { 'user-agent': 'rest-agent' },
    });
    expect(viaRest.status).toBe(201);
    await client.apiToken.delete.mutate({ id: created.id });

    const { events, nextCursor } = await client.audit.getMany.query({});
    expect(events.map((e) => [e.type, e.actor.kind])).toEqual([
      ['token.deleted', 'user'],
      ['token.created', 'token'],
      ['token.created', 'user'],
      ['user.signed_in', 'user'],
    ]);
    expect(events[1]).toMatchObject({
      tokenId: viaRest.body.id,
      actor: { id: created.id, name: 'Audited in UI' },
      userAgent: 'rest-agent',
    });
    expect(events[0]!.ip).toMatch(/127\.0\.0\.1/);
    expect(nextCursor).toBeNull();
    expect((await client.audit.getMany.query({ type: 'token.deleted' })).events).toHaveLength(1);
    const bad = await trpcError(client.audit.getMany.query({ type: 'token.nope' as never }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' });
    expect(bad.issues).toMatchObject([{ path: 'type' }]);
    expect(await server.secretsInAuditEvents()).toEqual([]);
  });

  it("a team's log is for its ADMINs; MEMBERs get FORBIDDEN", async () => {
    const admin = await signedIn();
    const member = await signedIn();
    const team = await admin.client.team.create.mutate({
      name: 'Audited team',
      slug: `audited-${Math.random().toString(36).slice(2, 8)}`,
    });
    await admin.client.team.members.add.mutate({ teamId: team.id, email: member.user.email, role: 'MEMBER' });
    const events = (await admin.client.audit.getMany.query({ teamId: team.id })).events;
    expect(events.map((e) => e.type)).toEqual(['team.member_added', 'team.created']);
    expect((await trpcError(member.client.audit.getMany.query({ teamId: team.id }))).code).toBe('FORBIDDEN');
  });

  it('records a failed sign-in of a known e-mail', async () => {
    const user = await server.createTestUser();
    const client = server.trpc();
    expect((await trpcError(client.auth.signIn.mutate({ email: user.email, password: 'not the password' }))).code).toBe(
      'UNAUTHORIZED',
    );
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    expect((await client.audit.getMany.query({})).events.map((e) => e.type)).toEqual([
      'user.signed_in',
      'user.sign_in_failed',
    ]);
  });
});

describe('a rotated-away token presented again', () => {
  it('gets 401 Invalid token, like any unknown token, and a token.reused_after_rotation event', async () => {
    const { user, client } = await signedIn();
    const old = await server.createTestToken(user);
    await client.apiToken.rotate.mutate({ id: old.id });
    const reused = await server.api('GET', '/api/v1/me', {
      token: old.token,
      headers: { 'user-agent': 'leaked-copy/1.0' },
    });
    const unknown = await server.api('GET', '/api/v1/me', {
      token: 'api_' + 'A'.repeat(36),
      headers: { 'user-agent': 'leaked-copy/1.0' },
    });
    expect(reused.status).toBe(401);
    expect(reused.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
    expect(reused.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
    expect(unknown.body).toEqual(reused.body);
    await server.latchkey.retiredTokens.settled();
    const events = (await client.audit.getMany.query({ type: 'token.reused_after_rotation' })).events;
    expect(events.map((e) => e.tokenId)).toEqual([old.id]);
    // The client that presented it, as the other events name theirs.
    expect(events[0]).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1/), userAgent: 'leaked-copy/1.0' });
  });
});

describe('REST: GET /api/v1/tokens/:id/usage and GET /api/v1/audit-events', () => {
  it('answers usage with ISO times, and 400 naming the field for bad input', async () => {
    const user = await server.createTestUser();
    const token = await server.createTestToken(user);
    for (let i = 0; i < 3; i++) await server.api('GET', '/api/v1/me', { token: token.token });
    await server.lastUsed.flush();
    const usage = await server.api('GET', '/api/v1/tokens/self/usage?granularity=day&from=2025-12-25T00:00:00Z', {
      token: token.token,
    });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ tokenId: token.id, granularity: 'day', total: { requests: 3, failed: 0 } });
    expect(usage.body.buckets[0].start).toBe('2025-12-25T00:00:00.000Z');
    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['to=2026-13-45', 'to'],
      ['granularity=minute', 'granularity'],
      ['from=2025-01-01T00:00:00Z', 'from'],
    ] as const) {
      const bad = await server.api('GET', `/api/v1/tokens/self/usage?${query}`, { token: token.token });
      expect(bad.status, query).toBe(400);
      expect(bad.body.issues?.[0]?.path ?? bad.body.message, query).toContain(field);
    }
  });

  it('lists the owner audit events with audit:read, newest first; 403 without the scope', async () => {
    const user = await server.createTestUser();
    const token = await server.createTestToken(user);
    const made = await server.api('POST', '/api/v1/tokens', {
      token: token.token,
      body: { name: 'From REST', scopes: ['tokens:read'] },
    });
    expect(made.status).toBe(201);
    const page = await server.api('GET', '/api/v1/audit-events?limit=1', { token: token.token });
    expect(page.status).toBe(200);
    expect(page.body.events).toHaveLength(1);
    expect(page.body.events[0]).toMatchObject({
      type: 'token.created',
      tokenId: made.body.id,
      actor: { kind: 'token', id: token.id },
    });
    expect(typeof page.body.events[0].createdAt).toBe('string');
    expect(page.body.nextCursor).toBe(page.body.events[0].id);
    const next = await server.api('GET', `/api/v1/audit-events?cursor=${page.body.nextCursor}`, { token: token.token });
    expect(next.body.events.map((e: { tokenId: number }) => e.tokenId)).toEqual([token.id]);
    expect((await server.api('GET', '/api/v1/audit-events?type=nope', { token: token.token })).status).toBe(400);
    const readOnly = await server.api('GET', '/api/v1/audit-events', { token: made.body.token });
    expect(readOnly.status).toBe(403);
  });

  it("gives an event's times in details as ISO 8601, like createdAt, over REST and tRPC", async () => {
    const { user, client } = await signedIn();
    const token = await server.createTestToken(user);
    const made = await server.api('POST', '/api/v1/tokens', {
      token: token.token,
      body: { name: 'A week', expiresIn: 'SEVEN_DAYS' },
    });
    expect(made.status).toBe(201);
    const rotated = await server.api('POST', `/api/v1/tokens/${made.body.id}/rotate`, {
      token: token.token,
      body: { gracePeriodSeconds: 60 },
    });
    expect(rotated.status).toBe(201);

    const rest = await server.api('GET', '/api/v1/audit-events', { token: token.token });
    const restCreated = rest.body.events.find(
      (e: { type: string; tokenId: number }) => e.type === 'token.created' && e.tokenId === made.body.id,
    );
    expect(restCreated.details.expiresAt).toBe(made.body.expiresAt);
    const restRotated = rest.body.events.find((e: { type: string }) => e.type === 'token.rotated');
    expect(restRotated.details.previousTokenStopsAt).toBe(rotated.body.previousTokenStopsAt);

    const trpc = await client.audit.getMany.query({ tokenId: made.body.id });
    expect(trpc.events.map((e) => [e.type, e.details.expiresAt ?? e.details.previousTokenStopsAt])).toEqual([
      ['token.rotated', rotated.body.previousTokenStopsAt],
      ['token.created', made.body.expiresAt],
    ]);
  });
});
