// A token presented from an address outside its `allowedIps`: one `token.ip_refused` event per
// token and minute at most, however many servers see it (the conditional update decides).
import type { Db } from '../../db/create-database.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import type { VerifiedApiToken } from '../runtime/verifier.js';

export const IP_REFUSAL_REPORT_INTERVAL_MS = 60_000;

export type RecordIpRefusalOptions = {
  db: Db;
  clock: Clock;
  token: Pick<VerifiedApiToken, 'id' | 'name' | 'owner'>;
  ip: string | null;
  userAgent?: string | null;
};

/** Records the refusal unless one was recorded for the token in the last minute; true when it did. */
export async function recordIpRefusal(options: RecordIpRefusalOptions): Promise<boolean> {
  const { db, clock, token } = options;
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('api_tokens')
      .set({ ip_refused_reported_at: now })
      .where('id', '=', token.id)
      .where((eb) =>
        eb.or([
          eb('ip_refused_reported_at', 'is', null),
          eb('ip_refused_reported_at', '<=', now - IP_REFUSAL_REPORT_INTERVAL_MS),
        ]),
      )
      .returning('start')
      .executeTakeFirst();
    if (!claimed) return false;
    await recordAuditEvent(trx, {
      type: 'token.ip_refused',
      actor: { kind: 'token', id: token.id, name: token.name },
      owner: token.owner,
      tokenId: token.id,
      ip: options.ip,
      userAgent: options.userAgent ?? null,
      details: { name: token.name, start: claimed.start },
      at: now,
    });
    return true;
  });
}
