import { ZRestMe } from '@latchkey/lib';
import { defineRoute } from '../define-route';

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

export const getMe = defineRoute({
  method: 'get',
  path: '/me',
  operationId: 'getMe',
  tag: 'Account',
  summary: 'The token making the request, its user and team',
  access: { scope: null },
  responses: { 200: { description: 'The token, its user and team', schema: ZRestMe } },
  handle: ({ token }) => ({
    status: 200,
    body: {
      token: {
        ...token,
        scopes: [...token.scopes],
        createdAt: new Date(token.createdAt),
        expiresAt: date(token.expiresAt),
        lastUsedAt: date(token.lastUsedAt),
      },
      user: token.user,
      team: token.team,
    },
  }),
});
