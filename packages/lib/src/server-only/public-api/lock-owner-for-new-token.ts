// Taken by every write that adds a token (create, rotate), inside its transaction and before any
// other lock there. Two things must hold when the new row commits, whatever runs beside it:
// - the owner keeps at most its cap of tokens: the owner's row (user or team) is locked, so that
//   writes adding tokens to one owner take turns, and the count read after the lock is exact;
// - a team token's maker is still in the team and not disabled: removals from a team lock the team
//   row too (lockTeam), and a disabling updates the user row, which this reads under a shared lock.
//   Either the removal or disabling comes first and is seen here, or it waits for this transaction
//   and then revokes the new token with the maker's others.
import type { Db } from '../../db/create-database.js';
import { lockRows, sharingRows } from '../../db/row-locks.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { lockTeam } from '../team/get-team-role.js';
import { USER_DISABLED_NO_NEW_TOKENS } from '../user/check-users-of-new-token.js';
import { whereOwner, type TokenOwner } from './token-owner.js';

export type LockOwnerForNewTokenOptions = {
  owner: TokenOwner;
  /** The user the new token is made by (for a token made by a token: that token's maker). */
  createdBy: number | null;
  /** Whether a token makes it: the refusals then speak of that token. */
  viaToken: boolean;
  now: number;
  /** The most live tokens the owner may hold, the new one included; null: no cap (a rotation replaces a token). */
  maxTokens: number | null;
};

export async function lockOwnerForNewToken(trx: Db, options: LockOwnerForNewTokenOptions): Promise<void> {
  const { owner, createdBy, viaToken, now, maxTokens } = options;
  if (owner.kind === 'team') await lockTeam(trx, owner.teamId);
  else await lockRows(trx, trx.selectFrom('users').select('id').where('id', '=', owner.userId));

  if (owner.kind === 'team' && createdBy !== null) {
    const maker = await sharingRows(
      trx,
      trx.selectFrom('users').select('disabled_at').where('id', '=', createdBy),
    ).executeTakeFirst();
    if (!maker || maker.disabled_at !== null) {
      throw new AppError(AppErrorCode.FORBIDDEN, {
        message: viaToken
          ? "This token's maker is disabled, so it can make no more tokens"
          : USER_DISABLED_NO_NEW_TOKENS,
      });
    }
    const member = await trx
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', owner.teamId)
      .where('user_id', '=', createdBy)
      .executeTakeFirst();
    if (!member) {
      throw new AppError(AppErrorCode.FORBIDDEN, {
        message: viaToken
          ? "This token's maker has left the team, so it can make no more tokens"
          : 'You are no longer a member of this team',
      });
    }
  }

  if (maxTokens !== null) {
    // Tokens in every listing count: active, retiring and expired ones, not those rotated away.
    const { count } = await whereOwner(trx.selectFrom('api_tokens'), owner)
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where((eb) => eb.or([eb('api_tokens.revoke_at', 'is', null), eb('api_tokens.revoke_at', '>', now)]))
      .executeTakeFirstOrThrow();
    const held = Number(count);
    if (held >= maxTokens) {
      const tokens = `${held} token${held === 1 ? '' : 's'}, the most one owner may have (${maxTokens})`;
      throw new AppError(AppErrorCode.INVALID_REQUEST, {
        message:
          owner.kind === 'user'
            ? `You already have ${tokens}; ` +
              'delete tokens you no longer need (expired ones first) before making more'
            : `This team already has ${tokens}; ` +
              'delete tokens it no longer needs (expired ones first) before making more',
      });
    }
  }
}
