// What the generated types let a caller write: the values the server sends can be passed back as
// they are (integer ids, `self`, `nextCursor`), and requests the server refuses as malformed do not
// compile. Checked by tsc (vitest's typecheck mode, and `pnpm typecheck`); nothing here runs.
import { describe, expectTypeOf, it } from 'vitest';
import {
  createLatchkeyClient,
  type ApiError,
  type CreatedToken,
  type CreateTokenRequest,
  type ErrorCode,
  type RotatedToken,
  type TokenList,
  type TokenMetadata,
} from '../src/index';

const client = createLatchkeyClient({ baseUrl: 'http://127.0.0.1:3000', token: 'api_example' });

describe('answers', () => {
  it('types each success body as its schema and each error body as the error schema', async () => {
    const list = await client.GET('/tokens');
    expectTypeOf(list.data).toEqualTypeOf<TokenList | undefined>();
    expectTypeOf(list.error).toEqualTypeOf<ApiError | undefined>();
    expectTypeOf<TokenList['nextCursor']>().toEqualTypeOf<number | null>();
    expectTypeOf<TokenMetadata['id']>().toEqualTypeOf<number>();
    expectTypeOf<TokenMetadata['status']>().toEqualTypeOf<'active' | 'retiring' | 'expired'>();
    const created = await client.POST('/tokens', { body: { name: 'ci' } });
    expectTypeOf(created.data).toEqualTypeOf<CreatedToken | undefined>();
    const rotated = await client.POST('/tokens/{id}/rotate', { params: { path: { id: 'self' } } });
    expectTypeOf(rotated.data).toEqualTypeOf<RotatedToken | undefined>();
    expectTypeOf<RotatedToken['previousTokenStopsAt']>().toEqualTypeOf<string>();
    expectTypeOf<ErrorCode>().toExtend<string>();
    expectTypeOf<'NOT_FOUND'>().toExtend<ErrorCode>();
  });
});

describe('requests', () => {
  it('take back the integer id and nextCursor the server sent, and `self`', async () => {
    const { data } = await client.GET('/tokens', { params: { query: { limit: 100 } } });
    if (!data) return;
    const [first] = data.tokens;
    if (first) await client.GET('/tokens/{id}', { params: { path: { id: first.id } } });
    const { nextCursor } = data;
    if (nextCursor !== null) await client.GET('/tokens', { params: { query: { limit: 2, cursor: nextCursor } } });
    await client.GET('/tokens/{id}', { params: { path: { id: 'self' } } });
    await client.DELETE('/tokens/{id}', { params: { path: { id: 'self' } } });
    await client.POST('/tokens/{id}/rotate', { params: { path: { id: 7 } }, body: { gracePeriodSeconds: 3600 } });
    await client.POST('/tokens', { body: { name: 'deploy', expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] } });
    await client.GET('/me');
  });

  it('refuse what the server refuses', async () => {
    // @ts-expect-error: an id is a number or `self`, not any string
    await client.GET('/tokens/{id}', { params: { path: { id: 'abc' } } });
    // @ts-expect-error: a path with a parameter needs it
    await client.GET('/tokens/{id}');
    // @ts-expect-error: limit is a number
    await client.GET('/tokens', { params: { query: { limit: '10' } } });
    // @ts-expect-error: no such expiry
    await client.POST('/tokens', { body: { name: 'deploy', expiresIn: 'TWO_DAYS' } });
    // openapi-fetch infers the options object, so TypeScript does not flag an extra field in it (the
    // server answers one with a 400 naming it); a body declared with its type is checked.
    // @ts-expect-error: a typo in a field name
    const typo: CreateTokenRequest = { name: 'deploy', expires_in: 'ONE_MONTH' };
    await client.POST('/tokens', { body: typo });
    // @ts-expect-error: the name is required
    await client.POST('/tokens', { body: { scopes: ['tokens:read'] } });
    // @ts-expect-error: the server serves no PUT on /tokens
    await client.PUT('/tokens', { body: {} });
    // @ts-expect-error: no such path
    await client.GET('/token');
  });
});
