// REST shapes of token usage and the audit log: the shared schemas with times as ISO 8601 strings.
import { z } from 'zod';
import { AUDIT_ACTOR_KINDS } from '../universal/audit-event-types.js';
import { ZRestDateTime } from './rest.js';
import { ZId } from './schemas.js';
import { ZAuditEventType, ZUsageGranularity } from './usage-and-audit.js';

const isoTime = (name: string) =>
  z
    .string({ error: `${name} must be an ISO 8601 time` })
    .refine((text) => /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text)), {
      error: `${name} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z`,
    })
    .transform((text) => new Date(text))
    .meta({ description: `ISO 8601 time`, examples: ['2026-12-01T00:00:00Z'] });

export const ZRestTokenUsageQuery = z.object({
  from: isoTime('from').optional().meta({ description: 'Start of the range; 7 days before `to` by default' }),
  to: isoTime('to').optional().meta({ description: 'End of the range; now by default' }),
  granularity: ZUsageGranularity.optional().meta({
    description: '`hour` (up to 31 days, the default) or `day` (up to 366 days)',
  }),
});

const counts = { requests: z.number().int(), failed: z.number().int() };
const USAGE_EXAMPLE = {
  tokenId: 42,
  granularity: 'day',
  from: '2026-11-29T00:00:00.000Z',
  to: '2026-12-01T09:30:00.000Z',
  total: { requests: 130, failed: 4 },
  buckets: [
    { start: '2026-11-29T00:00:00.000Z', requests: 0, failed: 0 },
    { start: '2026-11-30T00:00:00.000Z', requests: 120, failed: 3 },
    { start: '2026-12-01T00:00:00.000Z', requests: 10, failed: 1 },
  ],
  recentIps: [{ ip: '203.0.113.7', userAgent: 'curl/8.5.0', lastSeenAt: '2026-12-01T09:29:12.000Z' }],
};

export const ZRestTokenUsage = z
  .object({
    tokenId: z.number().int(),
    granularity: ZUsageGranularity,
    from: ZRestDateTime,
    to: ZRestDateTime,
    total: z.object(counts),
    buckets: z
      .array(z.object({ start: ZRestDateTime, ...counts }))
      .meta({ description: 'Oldest first, empty buckets included as zeros' }),
    recentIps: z.array(z.object({ ip: z.string(), userAgent: z.string().nullable(), lastSeenAt: ZRestDateTime })),
  })
  .meta({ id: 'TokenUsage', examples: [USAGE_EXAMPLE] });

export const ZRestAuditEventsQuery = z.object({
  type: ZAuditEventType.optional().meta({ description: 'Only events of this type' }),
  tokenId: ZId.optional().meta({ description: 'Only events about this token' }),
  limit: z
    .number({ error: 'limit must be a whole number from 1 to 100' })
    .int({ error: 'limit must be a whole number from 1 to 100' })
    .min(1, { error: 'limit must be at least 1' })
    .max(100, { error: 'limit must be at most 100' })
    .default(50)
    .meta({ description: 'Page size' }),
  cursor: ZId.optional().meta({ description: '`nextCursor` of the previous page' }),
});

const EVENT_EXAMPLE = {
  events: [
    {
      id: 7,
      type: 'token.created',
      createdAt: '2026-12-01T09:30:00.000Z',
      actor: { kind: 'token', id: 41, name: 'CI deploys' },
      tokenId: 42,
      ip: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      details: { name: 'Nightly export', scopes: ['tokens:read'], expiresAt: null },
    },
  ],
  nextCursor: null,
};

export const ZRestAuditEventPage = z
  .object({
    events: z.array(
      z.object({
        id: z.number().int(),
        type: z.string(),
        createdAt: ZRestDateTime,
        actor: z.object({
          kind: z.enum(AUDIT_ACTOR_KINDS),
          id: z.number().int().nullable(),
          name: z.string().nullable(),
        }),
        tokenId: z.number().int().nullable(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    nextCursor: ZId.nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'AuditEventPage', examples: [EVENT_EXAMPLE] });
