// A token's requests over time, its predecessors' included (a rotation keeps the history): hourly
// or daily buckets (zeros included, oldest first), totals and the token's last distinct client
// addresses. Daily buckets are sums of the stored hourly rows (UTC days).
// Anyone who may see a token's owner may read it: the user for a personal token, any member of
// the team for a team token; someone else's token is NOT_FOUND.
import { sql } from 'kysely';
import type { Db } from '../../db/create-database.js';
import { jsonTuples, readJsonTuples } from '../../db/json-tuples.js';
import { numberList, readNumberList } from '../../db/number-list.js';
import { definePreparedQuery } from '../../db/prepared-query.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId, ZTeamId } from '../../types/schemas.js';
import { ZApiTokenUsageRange, type ApiTokenUsage, type UsageGranularity } from '../../types/usage-and-audit.js';
import type { Clock } from '../clock.js';
import { getTeamRole } from '../team/get-team-role.js';
import { parseInput } from '../validate.js';
import { HOUR_MS } from '../runtime/usage-recorder.js';
import type { ApiTokenActor, TokenOwner } from './token-owner.js';

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

/** Which token, whose, and the hours to read: `first` ≤ hour_start < `end`. */
type BucketParams = { id: number; ownerId: number; first: number; end: number };
type RecentIp = [ip: string, userAgent: string | null, lastSeenAt: number];
const RECENT_IPS = 5;

/**
 * The token's row (by id and owner: none when the caller may not read it) with its buckets in the
 * range as one list of numbers (start, requests, failed of each in turn) and its last addresses, in
 * one statement: one round trip, and no address leaves for a token the caller may not read. Hourly
 * buckets are the stored rows (one per token-hour), daily ones their sums per UTC day; in no
 * particular order (each goes to its place by its start).
 */
function bucketQuery(granularity: UsageGranularity, ownerColumn: 't.user_id' | 't.team_id') {
  return definePreparedQuery(`api_token_usage_${granularity}_by_${ownerColumn.slice(2)}`, (db, p: BucketParams) => {
    // The token's own rows and those of the tokens it replaced: a rotation keeps the history. The ids
    // come first, as a small table joined to the usage rows, so that each is read through the
    // (token_id, hour_start) key; an `id = ? or id in (…)` test made PostgreSQL scan every row.
    const tokenIds = db
      .selectFrom('api_token_lineage as l')
      .select('l.ancestor_id as id')
      .where('l.token_id', '=', p.id)
      .unionAll(db.selectFrom('api_tokens as o').select('o.id as id').where('o.id', '=', p.id))
      .as('ids');
    const inRange = db
      .selectFrom(tokenIds)
      .innerJoin('api_token_usage as u', 'u.token_id', 'ids.id')
      .where('u.hour_start', '>=', p.first)
      .where('u.hour_start', '<', p.end);
    const day = sql<number>`(u.hour_start / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
    const buckets =
      granularity === 'hour'
        ? inRange.select(numberList(db, ['u.hour_start', 'u.requests', 'u.failed']).as('buckets'))
        : db
            .selectFrom(
              inRange
                .select([day.as('start'), sql`sum(u.requests)`.as('requests'), sql`sum(u.failed)`.as('failed')])
                .groupBy(day)
                .as('d'),
            )
            .select(numberList(db, ['d.start', 'd.requests', 'd.failed']).as('buckets'));
    // The last addresses as a JSON array of [ip, userAgent, lastSeenAt] (a user agent is any text).
    const ips = db
      .selectFrom(
        db
          .selectFrom('api_token_recent_ips as r')
          .select(['r.ip', 'r.user_agent', 'r.last_seen_at'])
          .where('r.token_id', '=', p.id)
          .orderBy('r.last_seen_at', 'desc')
          .orderBy('r.ip', 'desc')
          .limit(RECENT_IPS)
          .as('r'),
      )
      .select(jsonTuples<RecentIp>(db, ['r.ip', 'r.user_agent', 'r.last_seen_at']).as('ips'));
    return db
      .selectFrom('api_tokens as t')
      .select(['t.id', buckets.as('buckets'), ips.as('ips')])
      .where('t.id', '=', p.id)
      .where(ownerColumn, '=', p.ownerId);
  });
}

const BUCKETS = {
  hour: { user: bucketQuery('hour', 't.user_id'), team: bucketQuery('hour', 't.team_id') },
  day: { user: bucketQuery('day', 't.user_id'), team: bucketQuery('day', 't.team_id') },
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
  const first = from - (from % size);
  const last = to - (to % size);
  const params = { id, ownerId: owner.kind === 'user' ? owner.userId : owner.teamId, first, end: last + size };
  const row = (await BUCKETS[granularity][owner.kind].all(db, params))[0];
  if (!row) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });

  const buckets: ApiTokenUsage['buckets'] = [];
  for (let at = first; at <= last; at += size) buckets.push({ start: new Date(at), requests: 0, failed: 0 });
  const total = { requests: 0, failed: 0 };
  const numbers = readNumberList(row.buckets);
  for (let i = 0; i < numbers.length; i += 3) {
    const requests = numbers[i + 1]!;
    const failed = numbers[i + 2]!;
    // An hour may have rows of the token and of the one it replaced (used during the grace period).
    const bucket = buckets[(numbers[i]! - first) / size]!;
    bucket.requests += requests;
    bucket.failed += failed;
    total.requests += requests;
    total.failed += failed;
  }
  return {
    tokenId: id,
    granularity,
    from: new Date(from),
    to: new Date(to),
    total,
    buckets,
    // Newest first, as the statement's inner query read them (the aggregate keeps no promised order).
    recentIps: readJsonTuples<RecentIp>(row.ips)
      .map(([ip, userAgent, lastSeenAt]) => ({ ip, userAgent, lastSeenAt: new Date(Number(lastSeenAt)) }))
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || (a.ip < b.ip ? 1 : a.ip > b.ip ? -1 : 0)),
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
