// A token's requests over time: hourly or daily buckets (zeros included, oldest first), totals and
// the last distinct client addresses. Daily buckets are sums of the stored hourly rows (UTC days).
// Anyone who may see a token's owner may read it: the user for a personal token, any member of
// the team for a team token; someone else's token is NOT_FOUND.
import { sql } from 'kysely';
import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { ZId, ZTeamId } from '../../types/schemas';
import { ZApiTokenUsageRange, type ApiTokenUsage, type UsageGranularity } from '../../types/usage-and-audit';
import type { Clock } from '../clock';
import { getTeamRole } from '../team/get-team-role';
import { parseInput } from '../validate';
import { HOUR_MS } from './last-used-tracker';
import { type ApiTokenActor, type TokenOwner, whereOwner } from './token-owner';

const DAY_MS = 24 * HOUR_MS;
export const USAGE_DEFAULT_DAYS = 7;
export const USAGE_MAX_DAYS: Record<UsageGranularity, number> = { hour: 31, day: 366 };

export type GetApiTokenUsageOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  id: number;
  from?: Date;
  to?: Date;
  granularity?: UsageGranularity;
};

export async function getApiTokenUsage(options: GetApiTokenUsageOptions): Promise<ApiTokenUsage> {
  const { db, clock } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const range = parseInput(
    ZApiTokenUsageRange,
    { from: options.from, to: options.to, granularity: options.granularity },
    AppErrorCode.INVALID_REQUEST,
  );
  const granularity = range.granularity ?? 'hour';
  const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
  const to = range.to?.getTime() ?? clock.now();
  const from = range.from?.getTime() ?? to - USAGE_DEFAULT_DAYS * DAY_MS;
  if (from > to) throw invalid('from', '`from` must not be after `to`');
  if (to - from > USAGE_MAX_DAYS[granularity] * DAY_MS) {
    throw invalid(
      'from',
      `The range may span at most ${USAGE_MAX_DAYS[granularity]} days with granularity ${granularity}`,
    );
  }

  const owner = await readerOwner(db, options);
  const token = await whereOwner(
    db.selectFrom('api_tokens').select('id').where('api_tokens.id', '=', id),
    owner,
  ).executeTakeFirst();
  if (!token) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });

  const first = from - (from % size);
  const last = to - (to % size);
  const start =
    granularity === 'hour'
      ? sql<number>`hour_start`
      : sql<number>`(hour_start / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
  const rows = await db
    .selectFrom('api_token_usage')
    .select([start.as('start'), sql<number>`sum(requests)`.as('requests'), sql<number>`sum(failed)`.as('failed')])
    .where('token_id', '=', id)
    .where('hour_start', '>=', first)
    .where('hour_start', '<', last + size)
    .groupBy(start)
    .execute();
  const byStart = new Map(rows.map((row) => [Number(row.start), row]));

  const buckets: ApiTokenUsage['buckets'] = [];
  const total = { requests: 0, failed: 0 };
  for (let at = first; at <= last; at += size) {
    const row = byStart.get(at);
    const requests = row ? Number(row.requests) : 0;
    const failed = row ? Number(row.failed) : 0;
    total.requests += requests;
    total.failed += failed;
    buckets.push({ start: new Date(at), requests, failed });
  }

  const ips = await db
    .selectFrom('api_token_recent_ips')
    .select(['ip', 'user_agent', 'last_seen_at'])
    .where('token_id', '=', id)
    .orderBy('last_seen_at', 'desc')
    .orderBy('ip', 'desc')
    .limit(5)
    .execute();
  return {
    tokenId: id,
    granularity,
    from: new Date(from),
    to: new Date(to),
    total,
    buckets,
    recentIps: ips.map((r) => ({ ip: r.ip, userAgent: r.user_agent, lastSeenAt: new Date(r.last_seen_at) })),
  };
}

function invalid(path: string, message: string): AppError {
  return new AppError(AppErrorCode.INVALID_REQUEST, { message, issues: [{ path, message }] });
}

/** The owner whose tokens the caller may read: any team member reads the team's. */
export async function readerOwner(db: Db, actor: ApiTokenActor): Promise<TokenOwner> {
  if (actor.viaToken) return actor.viaToken.owner;
  const userId = parseInput(ZId, actor.userId, AppErrorCode.INVALID_REQUEST);
  const teamId = parseInput(ZTeamId, actor.teamId, AppErrorCode.INVALID_REQUEST);
  if (teamId === null || teamId === undefined) return { kind: 'user', userId };
  await getTeamRole(db, teamId, userId);
  return { kind: 'team', teamId };
}
