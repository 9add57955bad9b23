// The audit log of one owner, newest first, a page at a time. A user sees their account's and
// personal tokens' events; a team's events are for its ADMINs only (MANAGER and MEMBER: FORBIDDEN).
import type { Db } from '../../db/create-database.js';
import { AppErrorCode } from '../../errors/app-error.js';
import { ZTeamId, ZId } from '../../types/schemas.js';
import { ZAuditEventFilters, type AuditEvent, type AuditEventPage } from '../../types/usage-and-audit.js';
import type { AuditEventType } from '../../universal/audit-event-types.js';
import type { ApiTokenActor, TokenOwner } from '../public-api/token-owner.js';
import { assertTeamAdmin } from '../team/get-team-role.js';
import { parseInput } from '../validate.js';
import { withIsoTimes } from './audit-detail-times.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const TEAM_ACTIVITY_ADMIN_REQUIRED = "You need to be a team admin to see the team's activity";

export type GetAuditEventsOptions = ApiTokenActor & {
  db: Db;
  type?: AuditEventType;
  tokenId?: number;
  limit?: number;
  cursor?: number;
};

export async function getAuditEvents(options: GetAuditEventsOptions): Promise<AuditEventPage> {
  const { db } = options;
  const filters = parseInput(
    ZAuditEventFilters,
    { type: options.type, tokenId: options.tokenId, limit: options.limit, cursor: options.cursor },
    AppErrorCode.INVALID_REQUEST,
  );
  const owner = await auditLogOwner(db, options);
  const limit = filters.limit ?? AUDIT_PAGE_DEFAULT;

  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit + 1);
  query = owner.kind === 'user' ? query.where('user_id', '=', owner.userId) : query.where('team_id', '=', owner.teamId);
  if (filters.type) query = query.where('type', '=', filters.type);
  if (filters.tokenId !== undefined) query = query.where('token_id', '=', filters.tokenId);
  if (filters.cursor !== undefined) query = query.where('id', '<', filters.cursor);
  const rows = await query.execute();

  const page = rows.slice(0, limit);
  const events: AuditEvent[] = page.map((row) => ({
    id: row.id,
    type: row.type,
    createdAt: new Date(row.created_at),
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    tokenId: row.token_id,
    ip: row.ip,
    userAgent: row.user_agent,
    // Events stored before times were written as ISO 8601 text are given so too.
    details: withIsoTimes(JSON.parse(row.details) as Record<string, unknown>),
  }));
  return { events, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

async function auditLogOwner(db: Db, actor: ApiTokenActor): Promise<TokenOwner> {
  if (actor.viaToken) return actor.viaToken.owner;
  const userId = parseInput(ZId, actor.userId, AppErrorCode.INVALID_REQUEST);
  const teamId = parseInput(ZTeamId, actor.teamId, AppErrorCode.INVALID_REQUEST);
  if (teamId === null || teamId === undefined) return { kind: 'user', userId };
  await assertTeamAdmin(db, teamId, userId, TEAM_ACTIVITY_ADMIN_REQUIRED);
  return { kind: 'team', teamId };
}
