// The token routes: list, create, read, delete and rotate the tokens of the calling token's owner.
import {
  createApiToken,
  deleteApiTokenById,
  getApiTokenById,
  getApiTokens,
  rotateApiToken,
  ZRestCreatedToken,
  ZRestCreateTokenBody,
  ZRestListTokensQuery,
  ZRestRotateTokenBody,
  ZRestRotatedToken,
  ZRestTokenIdParams,
  ZRestTokenList,
  ZRestTokenMetadata,
  type VerifiedApiToken,
} from '@latchkey/lib';
import { defineRoute } from '../define-route';

/** `:id` as a number; `self` is the token making the request. */
const tokenId = (id: number | 'self', token: VerifiedApiToken) => (id === 'self' ? token.id : id);

export const listTokens = defineRoute({
  method: 'get',
  path: '/tokens',
  operationId: 'listTokens',
  tag: 'Tokens',
  summary: 'Tokens of the same owner, newest first',
  access: { scope: 'tokens:read' },
  query: ZRestListTokensQuery,
  responses: { 200: { description: 'A page of tokens', schema: ZRestTokenList } },
  handle: async ({ deps: { db, clock, instanceMaxLifetimeDays }, token, query }) => ({
    status: 200,
    body: await getApiTokens({
      db,
      clock,
      viaToken: token,
      ...query,
      instanceMaxLifetimeDays,
    }),
  }),
});

export const createToken = defineRoute({
  method: 'post',
  path: '/tokens',
  operationId: 'createToken',
  tag: 'Tokens',
  summary: 'Create a token; it can neither outlive nor out-scope the token that makes it',
  access: { scope: 'tokens:write' },
  body: ZRestCreateTokenBody,
  responses: { 201: { description: 'The new token, shown only here', schema: ZRestCreatedToken } },
  errors: [403],
  handle: async ({
    deps: { db, clock, allowedScopes, instanceMaxLifetimeDays, maxTokensPerOwner },
    token,
    audit,
    body,
  }) => ({
    status: 201,
    body: await createApiToken({
      db,
      clock,
      viaToken: token,
      allowedScopes,
      instanceMaxLifetimeDays,
      maxTokensPerOwner,
      audit: audit(),
      ...body,
    }),
  }),
});

export const getToken = defineRoute({
  method: 'get',
  path: '/tokens/:id',
  operationId: 'getToken',
  tag: 'Tokens',
  summary: "One token's metadata",
  access: { scope: 'tokens:read' },
  params: ZRestTokenIdParams,
  responses: { 200: { description: 'The token', schema: ZRestTokenMetadata } },
  errors: [404],
  handle: async ({ deps: { db, clock, instanceMaxLifetimeDays }, token, params }) => ({
    status: 200,
    body: await getApiTokenById({ db, clock, viaToken: token, id: tokenId(params.id, token), instanceMaxLifetimeDays }),
  }),
});

export const deleteToken = defineRoute({
  method: 'delete',
  path: '/tokens/:id',
  operationId: 'deleteToken',
  tag: 'Tokens',
  summary: 'Delete a token; it stops working at once',
  access: { scope: 'tokens:write' },
  params: ZRestTokenIdParams,
  responses: { 204: { description: 'Deleted' } },
  errors: [404],
  handle: async ({ deps: { db, clock }, token, audit, params }) => {
    await deleteApiTokenById({ db, clock, viaToken: token, id: tokenId(params.id, token), audit: audit() });
    return { status: 204 };
  },
});

export const rotateToken = defineRoute({
  method: 'post',
  path: '/tokens/:id/rotate',
  operationId: 'rotateToken',
  tag: 'Tokens',
  summary: 'Replace a token with a new one of the same name, scopes and lifetime length',
  access: { scope: 'tokens:write' },
  params: ZRestTokenIdParams,
  body: ZRestRotateTokenBody,
  bodyRequired: false,
  responses: { 201: { description: 'The new token, shown only here', schema: ZRestRotatedToken } },
  errors: [403, 404],
  handle: async ({ deps: { db, clock, instanceMaxLifetimeDays }, token, audit, params, body }) => ({
    status: 201,
    body: await rotateApiToken({
      db,
      clock,
      instanceMaxLifetimeDays,
      viaToken: token,
      id: tokenId(params.id, token),
      audit: audit(),
      ...body,
    }),
  }),
});
