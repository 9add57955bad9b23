import { isPostgres, type Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { ZGracePeriodSeconds, ZId, type CreatedApiToken } from '../../types/schemas';
import { generateApiToken, tokenStart } from '../../universal/token-format';
import { auditFields } from '../audit/audit-actor';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event';
import type { Clock } from '../clock';
import { hashSecret, TOKEN_HASH_ALGORITHM } from '../hash';
import { parseInput } from '../validate';
import { toApiTokenMetadata } from './api-token-metadata';
import { retireApiTokenHash } from './retire-api-token-hash';
import { assertWithinParentScopes, creatorName } from './create-api-token';
import { type ApiTokenActor, ownerColumns, resolveTokenOwner, whereOwner } from './token-owner';
import { assertLifetimeAllowed, assertScopesAllowed, getTokenPolicy } from './token-policy';

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

/** Replaces a token with a new one of the same name, scopes and lifetime length. */
export async function rotateApiToken(options: RotateApiTokenOptions): Promise<CreatedApiToken> {
  const { db, clock } = options;
  // Through a token, the new one may not hold scopes the token lacks, nor a longer lifetime than
  // the token's own; so a token may always rotate itself.
  const parent = options.viaToken;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const grace = parseInput(ZGracePeriodSeconds.optional(), options.gracePeriodSeconds) ?? 0;
  const { owner, createdBy } = await resolveTokenOwner(db, options);
  const policy = await getTokenPolicy(db, owner, options.instanceMaxLifetimeDays);
  const now = clock.now();
  const token = generateApiToken();

  const row = await db.transaction().execute(async (trx) => {
    let query = whereOwner(trx.selectFrom('api_tokens').selectAll().where('id', '=', id), owner).where((eb) =>
      eb.or([eb('revoke_at', 'is', null), eb('revoke_at', '>', now)]),
    );
    // Concurrent rotations of one token take turns on PostgreSQL (SQLite runs transactions one at a
    // time): without the lock each would replace the token, and a later one could lengthen the grace.
    if (isPostgres(trx)) query = query.forUpdate();
    const old = await query.executeTakeFirst();
    if (!old) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });

    const scopes = JSON.parse(old.scopes) as string[];
    const lifetime = old.expires_at === null ? null : old.expires_at - old.created_at;
    // The new token is a new token: it must keep the policy in force now, even if the old one predates it.
    assertLifetimeAllowed(policy, lifetime);
    assertScopesAllowed(policy, scopes);
    if (parent) {
      assertWithinParentScopes(scopes, parent);
      const parentLifetime = parent.expiresAt === null ? null : parent.expiresAt - parent.createdAt;
      if (parentLifetime !== null && (lifetime === null || lifetime > parentLifetime)) {
        throw new AppError(AppErrorCode.FORBIDDEN, { message: 'A token cannot rotate a token that lives longer than it' });
      }
    }

    const stopsAt = old.revoke_at === null ? now + grace * 1000 : Math.min(old.revoke_at, now + grace * 1000);
    if (grace === 0) {
      await trx.deleteFrom('api_tokens').where('id', '=', old.id).execute();
      // TODO(invalidate): await invalidateApiTokens(trx, { tokenIds: [old.id] });
    } else {
      await trx.updateTable('api_tokens').set({ revoke_at: stopsAt }).where('id', '=', old.id).execute();
    }
    await retireApiTokenHash(trx, { tokenHash: old.token_hash, tokenId: old.id, owner, stopsAt });
    const inserted = await trx
      .insertInto('api_tokens')
      .values({
        name: old.name,
        token_hash: hashSecret(token),
        algorithm: TOKEN_HASH_ALGORITHM,
        start: tokenStart(token),
        scopes: old.scopes,
        expires_at: lifetime === null ? null : now + lifetime,
        revoke_at: null,
        created_at: now,
        last_used_at: null,
        ...ownerColumns(owner),
        created_by: createdBy,
        allowed_ips: old.allowed_ips,
      })
      .returning(['id', 'name', 'start', 'scopes', 'expires_at', 'revoke_at', 'created_at', 'last_used_at', 'created_by', 'allowed_ips'])
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      type: 'token.rotated',
      ...auditFields(options),
      owner,
      tokenId: old.id,
      details: { name: old.name, newTokenId: inserted.id, gracePeriodSeconds: grace, previousTokenStopsAt: stopsAt },
      at: now,
    });
    return inserted;
  });
  return { ...toApiTokenMetadata({ ...row, created_by_name: await creatorName(db, createdBy) }, now), token };
}
