// Requests per UTC day of every token of an owner over the last `days` days, in one query: what the
// token list draws as sparklines. Readable by whoever may read the owner's usage.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../db/create-database.js';
import { AppErrorCode } from '../../errors/app-error.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { readerOwner } from './get-api-token-usage.js';
import { HOUR_MS } from '../runtime/usage-recorder.js';
import type { ApiTokenActor } from './token-owner.js';

const DAY_MS = 24 * HOUR_MS;
const ZDays = z
  .number({ error: 'days must be a number' })
  .int()
  .min(1, { error: 'days must be at least 1' })
  .max(31, { error: 'days must be at most 31' });

export type GetApiTokenDailyRequestsOptions = ApiTokenActor & { db: Db; clock: Clock; days?: number };

export type ApiTokenDailyRequests = {
  /**
   * token id → requests per day, oldest first (`days` entries, today last), the tokens it replaced
   * at rotation included; tokens with none are left out.
   */
  requests: Record<number, number[]>;
  /** token id → the client address it was last used from. */
  lastIps: Record<number, string>;
};

export async function getApiTokenDailyRequests(
  options: GetApiTokenDailyRequestsOptions,
): Promise<ApiTokenDailyRequests> {
  const { db, clock } = options;
  const days = parseInput(ZDays, options.days ?? 7, AppErrorCode.INVALID_REQUEST);
  const owner = await readerOwner(db, options);
  const now = clock.now();
  const first = now - (now % DAY_MS) - (days - 1) * DAY_MS;
  const day = sql<number>`(u.hour_start / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
  let query = db
    .selectFrom('api_token_usage as u')
    .innerJoin('api_tokens as t', 't.id', 'u.token_id')
    .select(['u.token_id', day.as('day'), sql<number>`sum(u.requests)`.as('requests')])
    .where('u.hour_start', '>=', first)
    .groupBy(['u.token_id', day]);
  query =
    owner.kind === 'user' ? query.where('t.user_id', '=', owner.userId) : query.where('t.team_id', '=', owner.teamId);
  const series: Record<number, number[]> = {};
  const add = (tokenId: number, day: number, requests: number) => {
    const index = Math.round((day - first) / DAY_MS);
    if (index < 0 || index >= days) return;
    (series[tokenId] ??= new Array<number>(days).fill(0))[index]! += requests;
  };
  for (const row of await query.execute()) add(row.token_id, Number(row.day), Number(row.requests));

  // A token made by rotation draws its predecessors' requests too, as its own page does: their rows
  // are found through the lineage, since a predecessor rotated without grace is gone from api_tokens.
  let inherited = db
    .selectFrom('api_token_lineage as l')
    .innerJoin('api_tokens as t', 't.id', 'l.token_id')
    .innerJoin('api_token_usage as u', 'u.token_id', 'l.ancestor_id')
    .select(['l.token_id', day.as('day'), sql<number>`sum(u.requests)`.as('requests')])
    .where('u.hour_start', '>=', first)
    .groupBy(['l.token_id', day]);
  inherited =
    owner.kind === 'user'
      ? inherited.where('t.user_id', '=', owner.userId)
      : inherited.where('t.team_id', '=', owner.teamId);
  for (const row of await inherited.execute()) add(row.token_id, Number(row.day), Number(row.requests));

  let ips = db
    .selectFrom('api_token_recent_ips as r')
    .innerJoin('api_tokens as t', 't.id', 'r.token_id')
    .select(['r.token_id', 'r.ip', 'r.last_seen_at'])
    .where('r.last_seen_at', '>=', first);
  ips = owner.kind === 'user' ? ips.where('t.user_id', '=', owner.userId) : ips.where('t.team_id', '=', owner.teamId);
  const lastIps: Record<number, string> = {};
  const seenAt: Record<number, number> = {};
  for (const row of await ips.execute()) {
    if ((seenAt[row.token_id] ?? -1) < row.last_seen_at) {
      seenAt[row.token_id] = row.last_seen_at;
      lastIps[row.token_id] = row.ip;
    }
  }
  return { requests: series, lastIps };
}
