// The product's own scopes, declared as an operator does (TOKEN_SCOPES, TOKEN_SCOPES_FILE), known by
// every way in: REST and tRPC validation, team policies, and the served OpenAPI document.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCOPE_DESCRIPTIONS, BUILTIN_SCOPES, type CreatedApiToken, type PublicUser } from '@latchkey/lib';
import { loadConfig } from '../src/config';
import { startServer, trpcError, type TestServer } from './support/server';

const PRODUCT_SCOPES = ['invoices:read', 'invoices:write', 'documents:write'];
const ALL_SCOPES = [...BUILTIN_SCOPES, ...PRODUCT_SCOPES];
const DESCRIPTIONS = { 'invoices:read': 'Read invoices', 'invoices:write': 'Issue and cancel invoices' };

let folder: string;
let server: TestServer;
let user: PublicUser & { password: string };
/** A token holding every scope, product ones included: what a token made without scopes gets. */
let everything: CreatedApiToken;

beforeAll(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-product-scopes-'));
  const file = path.join(folder, 'scopes.json');
  fs.writeFileSync(file, JSON.stringify(DESCRIPTIONS));
  // The environment as an operator writes it, read the way main.ts reads it.
  const { scopes } = loadConfig({ TOKEN_SCOPES: PRODUCT_SCOPES.join(','), TOKEN_SCOPES_FILE: file });
  server = await startServer({ config: { scopes } });
  user = await server.createTestUser('Invoicing');
  everything = await server.createTestToken(user, { name: 'everything' });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

describe('REST', () => {
  it('a token made without scopes holds every scope, the product’s included', () => {
    expect(everything.scopes).toEqual(ALL_SCOPES);
  });

  it('POST /tokens {"scopes":["invoices:read"]} makes a token with that scope, listed and read back so', async () => {
    const created = await server.api('POST', '/api/v1/tokens', {
      token: everything.token,
      body: { name: 'invoice reader', scopes: ['invoices:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.scopes).toEqual(['invoices:read']);

    const list = await server.api('GET', '/api/v1/tokens', { token: everything.token });
    expect(list.status).toBe(200);
    const listed = (list.body.tokens as { id: number; scopes: string[] }[]).find((t) => t.id === created.body.id);
    expect(listed?.scopes).toEqual(['invoices:read']);
    expect(
      (await server.api('GET', `/api/v1/tokens/${created.body.id}`, { token: everything.token })).body.scopes,
    ).toEqual(['invoices:read']);
    // It is a token of the product, not of the token API: /me answers, the token routes refuse.
    const me = await server.api('GET', '/api/v1/me', { token: created.body.token });
    expect(me.body.token.scopes).toEqual(['invoices:read']);
    expect((await server.api('GET', '/api/v1/tokens', { token: created.body.token })).status).toBe(403);
  });

  it('refuses an unknown scope with a 400 naming it and listing the known ones', async () => {
    const refused = await server.api('POST', '/api/v1/tokens', {
      token: everything.token,
      body: { name: 'typo', scopes: ['invoices:read', 'invoice:write'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_BODY', message: 'Unknown scope: invoice:write' });
    expect(refused.body.issues).toEqual([
      { path: 'scopes', message: `Unknown scope: invoice:write; known: ${ALL_SCOPES.join(', ')}` },
    ]);
  });

  it('a token without a product scope cannot hand it on (403)', async () => {
    const tokensOnly = await server.createTestToken(user, { name: 'tokens only', scopes: ['tokens:write'] });
    const refused = await server.api('POST', '/api/v1/tokens', {
      token: tokensOnly.token,
      body: { name: 'escalated', scopes: ['invoices:write'] },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('A token cannot grant scopes it does not have: invoices:write');
  });
});

describe('the served OpenAPI document', () => {
  it('lists every known scope as the enum of a scope in a request, and none in answers', async () => {
    const doc = (await server.api('GET', '/api/v1/openapi.json')).body;
    const schemaOf = (value: any): any =>
      value?.$ref ? schemaOf(doc.components.schemas[value.$ref.replace('#/components/schemas/', '')]) : value;
    const body = schemaOf(doc.paths['/tokens'].post.requestBody.content['application/json'].schema);
    expect(body.properties.scopes.items.enum).toEqual(ALL_SCOPES);
    const answer = schemaOf(doc.paths['/tokens'].post.responses['201'].content['application/json'].schema);
    // A token keeps a scope the operator has since dropped from TOKEN_SCOPES, so answers name no enum.
    expect(answer.properties.scopes.items).toEqual({ type: 'string' });
    expect(doc.components.securitySchemes.bearerToken.description).toContain('`invoices:read`');
  });

  it('without product scopes, lists the built-in ones', async () => {
    const plain = await startServer();
    try {
      const doc = (await plain.api('GET', '/api/v1/openapi.json')).body;
      const ref: string = doc.paths['/tokens'].post.requestBody.content['application/json'].schema.$ref;
      const body = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      expect(body.properties.scopes.items.enum).toEqual([...BUILTIN_SCOPES]);
    } finally {
      await plain.close();
    }
  });
});

describe('tRPC and team policies', () => {
  it('apiToken.create takes a product scope, defaults to all of them and refuses an unknown one', async () => {
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    expect((await client.apiToken.create.mutate({ name: 'invoices', scopes: ['invoices:write'] })).scopes).toEqual([
      'invoices:write',
    ]);
    expect((await client.apiToken.create.mutate({ name: 'all of them' })).scopes).toEqual(ALL_SCOPES);
    const refused = await trpcError(client.apiToken.create.mutate({ name: 'typo', scopes: ['invoice:read'] }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: 'Unknown scope: invoice:read' });
  });

  it('the create dialog’s query gives every scope with its description, as TOKEN_SCOPES_FILE says', async () => {
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    expect(await client.apiToken.policy.query({ teamId: null })).toEqual({
      team: null,
      instanceMaxLifetimeDays: null,
      scopes: ALL_SCOPES,
      scopeDescriptions: { ...BUILTIN_SCOPE_DESCRIPTIONS, ...DESCRIPTIONS },
    });
  });

  it('a team policy may allow only product scopes; team tokens then get and may hold only those', async () => {
    const admin = await server.createTestUser('Billing Admin');
    const team = await server.createTestTeam(admin, 'Billing');
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: admin.email, password: admin.password });
    await client.team.policy.update.mutate({ teamId: team.id, allowedScopes: ['invoices:read', 'invoices:write'] });
    expect(await client.team.policy.get.query({ teamId: team.id })).toMatchObject({
      allowedScopes: ['invoices:read', 'invoices:write'],
      knownScopes: ALL_SCOPES,
      scopeDescriptions: { ...BUILTIN_SCOPE_DESCRIPTIONS, ...DESCRIPTIONS },
    });

    expect((await client.apiToken.create.mutate({ teamId: team.id, name: 'team default' })).scopes).toEqual([
      'invoices:read',
      'invoices:write',
    ]);
    const outside = await trpcError(
      client.apiToken.create.mutate({ teamId: team.id, name: 'outside', scopes: ['documents:write'] }),
    );
    expect(outside.code).toBe('BAD_REQUEST');
    expect(outside.message).toMatch(/documents:write/);

    const unknown = await trpcError(
      client.team.policy.update.mutate({ teamId: team.id, allowedScopes: ['invoices:read', 'billing:admin'] }),
    );
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST' });
    expect(unknown.message).toBe(`Unknown scope: billing:admin; known: ${ALL_SCOPES.join(', ')}`);
  });
});
