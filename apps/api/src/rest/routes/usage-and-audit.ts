// Usage of a token and the owner's audit log.
import {
  getApiTokenUsage,
  getAuditEvents,
  ZRestAuditEventPage,
  ZRestAuditEventsQuery,
  ZRestTokenIdParams,
  ZRestTokenUsage,
  ZRestTokenUsageQuery,
} from '@latchkey/lib';
import { defineRoute } from '../define-route';

export const getTokenUsage = defineRoute({
  method: 'get',
  path: '/tokens/:id/usage',
  operationId: 'getTokenUsage',
  tag: 'Tokens',
  summary: 'Requests over time (hourly or daily), totals and the last client addresses',
  access: { scope: 'tokens:read' },
  params: ZRestTokenIdParams,
  query: ZRestTokenUsageQuery,
  responses: { 200: { description: 'The usage', schema: ZRestTokenUsage } },
  errors: [404],
  handle: async ({ deps: { db, clock }, token, params, query }) => ({
    status: 200,
    body: await getApiTokenUsage({
      db,
      clock,
      viaToken: token,
      id: params.id === 'self' ? token.id : params.id,
      ...query,
    }),
  }),
});

export const listAuditEvents = defineRoute({
  method: 'get',
  path: '/audit-events',
  operationId: 'listAuditEvents',
  tag: 'Audit',
  summary: "The owner's audit events, newest first",
  access: { scope: 'audit:read' },
  query: ZRestAuditEventsQuery,
  responses: { 200: { description: 'A page of events', schema: ZRestAuditEventPage } },
  handle: async ({ deps: { db }, token, query }) => ({
    status: 200,
    body: await getAuditEvents({ db, viaToken: token, ...query }),
  }),
});
