import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZCreateApiTokenInput, type CreatedApiToken } from '../../types/schemas.js';
import { BUILTIN_SCOPES } from '../../universal/scopes.js';
import { generateApiToken, tokenStart } from '../../universal/token-format.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashSecret, TOKEN_HASH_ALGORITHM } from '../hash.js';
import { parseInput } from '../validate.js';
import { NEW_TOKEN_COLUMNS, toApiTokenMetadata } from './api-token-metadata.js';
import { checkUsersOfNewToken } from '../user/check-users-of-new-token.js';
import { chooseExpiry, type ExpiryLimit } from './choose-expiry.js';
import { lockOwnerForNewToken } from './lock-owner-for-new-token.js';
import {
  type ActingApiToken,
  type ApiTokenActor,
  ownerColumns,
  resolveTokenOwner,
  usersGivenToken,
} from './token-owner.js';
import { allowedIpsBeyond } from '../../universal/allowed-ips.js';
import { scopeAllowed } from '../../universal/token-policy.js';
import { assertExpiresInAllowed, assertScopesAllowed, getTokenPolicy, longestAllowedLifetime } from './token-policy.js';

export type CreateApiTokenOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  name: string;
  /** One of the `ExpiresIn` names, or other text that is refused when it is checked. */
  expiresIn?: string;
  scopes?: readonly string[];
  /** Every scope this deployment knows; a token may hold only these. Defaults to the built-in ones. */
  allowedScopes?: readonly string[];
  /** Who acts and from where, for the `token.created` event. */
  audit?: AuditContext;
  /** Addresses or CIDR ranges the token may be used from; none = any. */
  allowedIps?: readonly string[];
  /** TOKEN_MAX_LIFETIME_DAYS: no token of the instance may live longer. */
  instanceMaxLifetimeDays?: number | null;
  /** TOKEN_MAX_PER_OWNER: the most tokens a user, or a team, may hold; 1,000 by default. */
  maxTokensPerOwner?: number;
};

export const DEFAULT_MAX_TOKENS_PER_OWNER = 1000;

/** Creates a token and returns it with its metadata; the plain token is never seen again. */
export async function createApiToken(options: CreateApiTokenOptions): Promise<CreatedApiToken> {
  const { db, clock } = options;
  // A token that creates another may not give it more scopes, a later expiry or more addresses than it has.
  const parent = options.viaToken;
  const allowedScopes = options.allowedScopes ?? BUILTIN_SCOPES;
  const input = parseInput(ZCreateApiTokenInput, {
    name: options.name,
    expiresIn: options.expiresIn,
    scopes: options.scopes,
    allowedIps: options.allowedIps,
  });
  const { owner, createdBy } = await resolveTokenOwner(db, options);
  const { creatorName } = await checkUsersOfNewToken(db, usersGivenToken(owner, options), createdBy);
  const policy = await getTokenPolicy(db, owner, options.instanceMaxLifetimeDays);
  // Scopes and expiry the caller left out are the widest the policy and the parent token allow,
  // never a refusal of a choice the caller did not make (a parent may hold a scope the operator
  // has since dropped from TOKEN_SCOPES: the child just does not get it).
  const defaultScopes = (parent ? [...parent.scopes] : [...allowedScopes]).filter(
    (scope) => allowedScopes.includes(scope) && scopeAllowed(policy, scope),
  );
  const scopes = input.scopes ?? defaultScopes;
  if (scopes.length === 0) {
    const message =
      'No scope is left to give this token by default (those it could hold are unknown here or not allowed ' +
      "by the team's policy); name its scopes";
    throw new AppError(AppErrorCode.INVALID_BODY, { message, issues: [{ path: 'scopes', message }] });
  }
  assertKnownScopes(scopes, allowedScopes);
  assertScopesAllowed(policy, scopes);

  const now = clock.now();
  if (parent) assertWithinParentScopes(scopes, parent);
  // An explicit choice is checked by the same rule the create dialog offers its presets by.
  if (input.expiresIn !== undefined) assertExpiresInAllowed(policy, input.expiresIn);
  const expiresAt = chooseExpiry({
    now,
    expiresIn: input.expiresIn,
    limits: expiryLimits(parent),
    policyLongest: longestAllowedLifetime(policy),
  });
  // A child of an address-limited token is limited as it is unless it asks for less.
  const allowedIps = input.allowedIps ?? (parent ? [...parent.allowedIps] : []);
  if (parent) assertWithinParentAddresses(allowedIps, parent);

  const token = generateApiToken();
  const row = await db.transaction().execute(async (trx) => {
    await lockOwnerForNewToken(trx, {
      owner,
      createdBy,
      viaToken: parent !== undefined,
      now,
      maxTokens: options.maxTokensPerOwner ?? DEFAULT_MAX_TOKENS_PER_OWNER,
    });
    const inserted = await trx
      .insertInto('api_tokens')
      .values({
        name: input.name,
        token_hash: hashSecret(token),
        algorithm: TOKEN_HASH_ALGORITHM,
        start: tokenStart(token),
        scopes: JSON.stringify(scopes),
        expires_at: expiresAt,
        revoke_at: null,
        created_at: now,
        last_used_at: null,
        ...ownerColumns(owner),
        created_by: createdBy,
        allowed_ips: JSON.stringify(allowedIps),
      })
      .returning(NEW_TOKEN_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      type: 'token.created',
      ...auditFields(options),
      owner,
      tokenId: inserted.id,
      details: { name: inserted.name, start: inserted.start, scopes, expiresAt, allowedIps },
      at: now,
    });
    return inserted;
  });
  return { ...toApiTokenMetadata({ ...row, created_by_name: creatorName }, now), token };
}

/** Every limit on how late a new token may expire besides the token policy. */
function expiryLimits(parent: ActingApiToken | undefined): ExpiryLimit[] {
  const limits: ExpiryLimit[] = [];
  // A token may not make one that outlives it.
  if (parent && parent.expiresAt !== null) {
    limits.push({
      latest: parent.expiresAt,
      refuse: () =>
        new AppError(AppErrorCode.FORBIDDEN, {
          message:
            'A token cannot create a token that outlives it; ' +
            'choose an earlier expiry, or leave expiresIn out to get the longest allowed',
        }),
    });
  }
  return limits;
}

export function assertKnownScopes(scopes: readonly string[], allowedScopes: readonly string[]): void {
  const unknown = scopes.filter((scope) => !allowedScopes.includes(scope));
  if (unknown.length > 0) {
    throw new AppError(AppErrorCode.INVALID_BODY, {
      message: `Unknown scope: ${unknown.join(', ')}`,
      issues: [{ path: 'scopes', message: `Unknown scope: ${unknown.join(', ')}; known: ${allowedScopes.join(', ')}` }],
    });
  }
}

export function assertWithinParentScopes(scopes: readonly string[], parent: ActingApiToken): void {
  const extra = scopes.filter((scope) => !parent.scopes.includes(scope));
  if (extra.length > 0) {
    throw new AppError(AppErrorCode.FORBIDDEN, {
      message: `A token cannot grant scopes it does not have: ${extra.join(', ')}`,
    });
  }
}

export function assertWithinParentAddresses(allowedIps: readonly string[], parent: ActingApiToken): void {
  const beyond = allowedIpsBeyond(allowedIps, parent.allowedIps);
  if (beyond.length > 0) {
    throw new AppError(AppErrorCode.FORBIDDEN, {
      message:
        `A token cannot give a token addresses it may not be used from: ${beyond.join(', ')}; ` +
        `it may be used from ${parent.allowedIps.join(', ')} only`,
    });
  }
}
