// Who owns the tokens an operation touches, after checking that the caller may manage them.
// A signed-in user manages their personal tokens, and a team's tokens when they are its ADMIN.
// A verified API token acts for its own owner; its scopes are checked by the adapter.
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { AppErrorCode } from '../../errors/app-error.js';
import { ZId, ZTeamId } from '../../types/schemas.js';
import { TEAM_ADMIN_REQUIRED } from '../../universal/permissions.js';
import { assertTeamAdmin } from '../team/get-team-role.js';
import { parseInput } from '../validate.js';

export type TokenOwner = { kind: 'user'; userId: number } | { kind: 'team'; teamId: number };

/** What an operation needs to know of the token a request authenticated with. */
export type ActingApiToken = {
  id: number;
  owner: TokenOwner;
  /** The user who made it; null if that user was deleted. */
  createdById: number | null;
  scopes: readonly string[];
  createdAt: number;
  /** Milliseconds, or null for a token that never expires. */
  expiresAt: number | null;
  /** Addresses or CIDR ranges it may be used from; [] = any. */
  allowedIps: readonly string[];
};

/** Either a signed-in user (with the team they act in, if any) or an API token. */
export type ApiTokenActor =
  | { userId: number; teamId?: number | null; viaToken?: undefined }
  | { viaToken: ActingApiToken; userId?: undefined; teamId?: undefined };

export async function resolveTokenOwner(
  db: Kysely<Schema>,
  actor: ApiTokenActor,
): Promise<{ owner: TokenOwner; createdBy: number | null }> {
  if (actor.viaToken) return { owner: actor.viaToken.owner, createdBy: actor.viaToken.createdById };
  const userId = parseInput(ZId, actor.userId, AppErrorCode.INVALID_REQUEST);
  const teamId = parseInput(ZTeamId, actor.teamId, AppErrorCode.INVALID_REQUEST);
  if (teamId === null || teamId === undefined) return { owner: { kind: 'user', userId }, createdBy: userId };
  await assertTeamAdmin(db, teamId, userId, TEAM_ADMIN_REQUIRED);
  return { owner: { kind: 'team', teamId }, createdBy: userId };
}

/**
 * The users a new token would be given to or made by through their own account: a personal
 * token's user, and the signed-in user who makes it. A token made through a team token has none.
 */
export function usersGivenToken(owner: TokenOwner, actor: ApiTokenActor): number[] {
  const users = owner.kind === 'user' ? [owner.userId] : [];
  if (!actor.viaToken && typeof actor.userId === 'number') users.push(actor.userId);
  return users;
}

/** The owner columns of a token row: exactly one of them is set. */
export function ownerColumns(owner: TokenOwner): { user_id: number | null; team_id: number | null } {
  return owner.kind === 'user' ? { user_id: owner.userId, team_id: null } : { user_id: null, team_id: owner.teamId };
}

/** The owner a stored row (a token, an event, a retired hash) names. */
export function ownerOfRow(row: { user_id: number | null; team_id: number | null }): TokenOwner {
  return row.team_id !== null ? { kind: 'team', teamId: row.team_id } : { kind: 'user', userId: row.user_id! };
}

/** Narrows a query on `api_tokens` to one owner's rows. */
export function whereOwner<
  Q extends { where(lhs: 'api_tokens.user_id' | 'api_tokens.team_id', op: '=', rhs: number): Q },
>(query: Q, owner: TokenOwner): Q {
  return owner.kind === 'user'
    ? query.where('api_tokens.user_id', '=', owner.userId)
    : query.where('api_tokens.team_id', '=', owner.teamId);
}

export function ownerKey(owner: TokenOwner): string {
  return owner.kind === 'user' ? `user:${owner.userId}` : `team:${owner.teamId}`;
}
