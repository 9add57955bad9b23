// Shapes of token usage and the audit log, shared by the library, tRPC, REST and the UI.
import { z } from 'zod';
import { AUDIT_ACTOR_KINDS, AUDIT_EVENT_TYPES } from '../universal/audit-event-types.js';
import { ZId } from './schemas.js';

export const ZAuditEventType = z.enum(AUDIT_EVENT_TYPES, {
  error: `type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`,
});

export const ZAuditEventFilters = z.object({
  type: ZAuditEventType.optional(),
  tokenId: ZId.optional(),
  limit: z
    .number()
    .int()
    .min(1, { error: 'limit must be at least 1' })
    .max(100, { error: 'limit must be at most 100' })
    .optional(),
  /** The id of the last event of the previous page. */
  cursor: ZId.optional(),
});
export type AuditEventFilters = z.infer<typeof ZAuditEventFilters>;

export const ZAuditEvent = z.object({
  id: z.number().int(),
  type: z.string(),
  createdAt: z.date(),
  actor: z.object({ kind: z.enum(AUDIT_ACTOR_KINDS), id: z.number().int().nullable(), name: z.string().nullable() }),
  tokenId: z.number().int().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof ZAuditEvent>;

export const ZAuditEventPage = z.object({ events: z.array(ZAuditEvent), nextCursor: z.number().int().nullable() });
export type AuditEventPage = z.infer<typeof ZAuditEventPage>;

export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export const ZUsageGranularity = z.enum(USAGE_GRANULARITIES, { error: 'granularity must be hour or day' });
export type UsageGranularity = z.infer<typeof ZUsageGranularity>;

export const ZApiTokenUsageRange = z.object({
  from: z.date({ error: 'from must be a date' }).optional(),
  to: z.date({ error: 'to must be a date' }).optional(),
  granularity: ZUsageGranularity.optional(),
});

export const ZUsageCounts = z.object({ requests: z.number().int(), failed: z.number().int() });

export const ZApiTokenUsage = z.object({
  tokenId: z.number().int(),
  granularity: ZUsageGranularity,
  from: z.date(),
  to: z.date(),
  total: ZUsageCounts,
  buckets: z.array(ZUsageCounts.extend({ start: z.date() })),
  recentIps: z.array(z.object({ ip: z.string(), userAgent: z.string().nullable(), lastSeenAt: z.date() })),
});
export type ApiTokenUsage = z.infer<typeof ZApiTokenUsage>;
