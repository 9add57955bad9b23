// A rotated-away token presented after its grace period is the classic sign of a leak: whoever
// still sends it holds a copy the owner meant to retire. The request check calls `noteMiss` with
// the hash of every token it refused as unknown; the answer does not wait for what happens here
// (the client gets the same 401 "Invalid token" as for any unknown token, just as fast), and the
// event is recorded at most once a minute per token, across every server sharing the database.
import type { Db } from '../../db/create-database.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { ownerOfRow } from './token-owner.js';

export const REUSE_REPORT_INTERVAL_MS = 60_000;
// Bounds the memory of hashes looked up recently (an attacker may send many); past it, start over.
const MAX_REMEMBERED = 10_000;

/** The request that presented the token: its client's address and user agent, kept on the event. */
export type ReuseClient = { ip?: string | null; userAgent?: string | null };

export type RetiredTokenReuseDetector = {
  /** Called by the check for a hash it found no live token for; returns at once. */
  noteMiss(tokenHash: string, client?: ReuseClient): void;
  /** Settles when the lookups started so far are done (for tests and shutdown). */
  settled(): Promise<void>;
};

export type RetiredTokenReuseDetectorOptions = { db: Db; clock: Clock; onError?: (error: unknown) => void };

export function createRetiredTokenReuseDetector({
  db,
  clock,
  onError,
}: RetiredTokenReuseDetectorOptions): RetiredTokenReuseDetector {
  // hash → when this process last looked it up; spares the database repeated lookups of one hash.
  const lookedUpAt = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();

  async function report(tokenHash: string, now: number, ip: string | null, userAgent: string | null): Promise<void> {
    await db.transaction().execute(async (trx) => {
      // One conditional update decides, on every server at once, whether this minute's event is due.
      const retired = await trx
        .updateTable('retired_api_token_hashes')
        .set({ reported_at: now })
        .where('token_hash', '=', tokenHash)
        .where('stops_at', '<=', now)
        .where((eb) => eb.or([eb('reported_at', 'is', null), eb('reported_at', '<=', now - REUSE_REPORT_INTERVAL_MS)]))
        .returning(['token_id', 'user_id', 'team_id', 'stops_at'])
        .executeTakeFirst();
      if (!retired) return;
      await recordAuditEvent(trx, {
        type: 'token.reused_after_rotation',
        actor: { kind: 'token', id: retired.token_id, name: null },
        owner: ownerOfRow(retired),
        tokenId: retired.token_id,
        ip,
        userAgent,
        details: { stoppedAt: retired.stops_at },
        at: now,
      });
    });
  }

  return {
    noteMiss(tokenHash, client) {
      const now = clock.now();
      const last = lookedUpAt.get(tokenHash);
      if (last !== undefined && now - last < REUSE_REPORT_INTERVAL_MS) return;
      if (lookedUpAt.size >= MAX_REMEMBERED) lookedUpAt.clear();
      lookedUpAt.set(tokenHash, now);
      const done = report(tokenHash, now, client?.ip ?? null, client?.userAgent ?? null)
        .catch((error: unknown) => onError?.(error))
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}
