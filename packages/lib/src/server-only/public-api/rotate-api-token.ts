import type { Db } from '../../db/create-database.js';
import { lockingRows } from '../../db/row-locks.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZGracePeriodSeconds, ZId, type RotatedApiToken } from '../../types/schemas.js';
import { allowedIpsBeyond } from '../../universal/allowed-ips.js';
import { generateApiToken, tokenStart } from '../../universal/token-format.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashSecret, TOKEN_HASH_ALGORITHM } from '../hash.js';
import { parseInput } from '../validate.js';
import { NEW_TOKEN_COLUMNS, toApiTokenMetadata, tokenStatus } from './api-token-metadata.js';
import { invalidateApiTokens } from './invalidate-api-tokens.js';
import { lockOwnerForNewToken } from './lock-owner-for-new-token.js';
import { retireApiTokenHash } from './retire-api-token-hash.js';
import { assertWithinParentScopes } from './create-api-token.js';
import { checkUsersOfNewToken } from '../user/check-users-of-new-token.js';
import { type ApiTokenActor, ownerColumns, resolveTokenOwner, usersGivenToken, whereOwner } from './token-owner.js';
import { assertLifetimeAllowed, assertScopesAllowed, getTokenPolicy } from './token-policy.js';

/**
 * How many predecessors a token remembers (its usage history reaches back through them): enough for
 * a token rotated weekly to show two years, while each rotation copies at most this many rows.
 */
export const MAX_LINEAGE_DEPTH = 100;

export type RotateApiTokenOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  id: number;
  /** How long the old token keeps working: 0 (the default) stops it at once; at most 7 days. */
  gracePeriodSeconds?: number;
  /** Who acts and from where, for the `token.rotated` event. */
  audit?: AuditContext;
  /** TOKEN_MAX_LIFETIME_DAYS: no token of the instance may live longer. */
  instanceMaxLifetimeDays?: number | null;
};

/**
 * Replaces an active token with a new one of the same name, scopes and lifetime length, and says
 * when the old one stops. An expired or retiring token cannot be rotated: rotating would give an
 * expired token a fresh life, or a retiring one a second successor.
 */
export async function rotateApiToken(options: RotateApiTokenOptions): Promise<RotatedApiToken> {
  const { db, clock } = options;
  // Through a token, the new one may not hold scopes or addresses the token lacks, nor outlive it,
  // unless it is the token itself: a token may always rotate itself, for the same lifetime length.
  const parent = options.viaToken;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const grace = parseInput(ZGracePeriodSeconds.optional(), options.gracePeriodSeconds) ?? 0;
  const { owner, createdBy } = await resolveTokenOwner(db, options);
  const { creatorName } = await checkUsersOfNewToken(db, usersGivenToken(owner, options), createdBy);
  const policy = await getTokenPolicy(db, owner, options.instanceMaxLifetimeDays);
  const now = clock.now();
  const token = generateApiToken();

  const { created, previousTokenStopsAt } = await db.transaction().execute(async (trx) => {
    // A rotation replaces a token, so the cap on tokens per owner does not stop it.
    await lockOwnerForNewToken(trx, { owner, createdBy, viaToken: parent !== undefined, now, maxTokens: null });
    const query = whereOwner(trx.selectFrom('api_tokens').selectAll().where('id', '=', id), owner).where((eb) =>
      eb.or([eb('revoke_at', 'is', null), eb('revoke_at', '>', now)]),
    );
    // Concurrent rotations of one token take turns: without the lock each would replace the token,
    // and a later one could lengthen the grace.
    const old = await lockingRows(trx, query).executeTakeFirst();
    if (!old) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });
    const status = tokenStatus(old, now);
    if (status === 'expired') {
      throw new AppError(AppErrorCode.INVALID_REQUEST, {
        message: 'This token has expired and cannot be rotated; create a new token instead',
      });
    }
    if (status === 'retiring') {
      throw new AppError(AppErrorCode.INVALID_REQUEST, {
        message: 'This token was already rotated and is retiring; use its successor, or create a new token instead',
      });
    }

    const scopes = JSON.parse(old.scopes) as string[];
    const lifetime = old.expires_at === null ? null : old.expires_at - old.created_at;
    // The new token is a new token: it must keep the policy in force now, even if the old one predates it.
    assertLifetimeAllowed(policy, lifetime);
    assertScopesAllowed(policy, scopes);
    if (parent) {
      assertWithinParentScopes(scopes, parent);
      const beyond = allowedIpsBeyond(JSON.parse(old.allowed_ips) as string[], parent.allowedIps);
      if (beyond.length > 0) {
        throw new AppError(AppErrorCode.FORBIDDEN, {
          message: `A token cannot rotate a token that may be used from addresses it may not: ${beyond.join(', ')}`,
        });
      }
    }
    // The new token lives as long as the old one did, from now; but one a token rotates for another
    // may not outlive that token (by `expiresAt`: its lifetime length says nothing of how much is left).
    let expiresAt = lifetime === null ? null : now + lifetime;
    if (parent && parent.id !== old.id && parent.expiresAt !== null) {
      expiresAt = expiresAt === null ? parent.expiresAt : Math.min(expiresAt, parent.expiresAt);
    }

    // The new token's lineage: the old one and the old one's own ancestors, read before the old row
    // (and with it its lineage rows) may be deleted.
    const ancestors = await trx
      .selectFrom('api_token_lineage')
      .select(['ancestor_id', 'ancestor_start', 'depth'])
      .where('token_id', '=', old.id)
      .where('depth', '<', MAX_LINEAGE_DEPTH)
      .execute();

    // The old token is active, so it has no grace period yet; it stops at the earlier of the grace
    // period's end and its own expiry.
    let previousTokenStopsAt = now;
    if (grace === 0) {
      await trx.deleteFrom('api_tokens').where('id', '=', old.id).execute();
    } else {
      const revokeAt = now + grace * 1000;
      await trx.updateTable('api_tokens').set({ revoke_at: revokeAt }).where('id', '=', old.id).execute();
      previousTokenStopsAt = old.expires_at === null ? revokeAt : Math.min(old.expires_at, revokeAt);
    }
    await retireApiTokenHash(trx, { tokenHash: old.token_hash, tokenId: old.id, owner, stopsAt: previousTokenStopsAt });
    await invalidateApiTokens(trx, { tokenIds: [old.id] });
    const created = await trx
      .insertInto('api_tokens')
      .values({
        name: old.name,
        token_hash: hashSecret(token),
        algorithm: TOKEN_HASH_ALGORITHM,
        start: tokenStart(token),
        scopes: old.scopes,
        expires_at: expiresAt,
        revoke_at: null,
        created_at: now,
        last_used_at: null,
        ...ownerColumns(owner),
        created_by: createdBy,
        allowed_ips: old.allowed_ips,
      })
      .returning(NEW_TOKEN_COLUMNS)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('api_token_lineage')
      .values([
        { token_id: created.id, ancestor_id: old.id, ancestor_start: old.start, depth: 1 },
        ...ancestors.map((a) => ({
          token_id: created.id,
          ancestor_id: a.ancestor_id,
          ancestor_start: a.ancestor_start,
          depth: a.depth + 1,
        })),
      ])
      .execute();
    await recordAuditEvent(trx, {
      type: 'token.rotated',
      ...auditFields(options),
      owner,
      tokenId: old.id,
      details: {
        name: old.name,
        start: old.start,
        newTokenId: created.id,
        newTokenStart: created.start,
        gracePeriodSeconds: grace,
        previousTokenStopsAt,
      },
      at: now,
    });
    return { created, previousTokenStopsAt };
  });
  const metadata = toApiTokenMetadata({ ...created, created_by_name: creatorName }, now);
  return { ...metadata, token, previousTokenStopsAt: new Date(previousTokenStopsAt) };
}
