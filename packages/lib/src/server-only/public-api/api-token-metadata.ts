// Turns stored token rows into the metadata every adapter shows.
import type { ApiTokenMetadata, ApiTokenStatus } from '../../types/schemas.js';
import { policyBreach, type TokenPolicy } from '../../universal/token-policy.js';

export type ApiTokenMetadataRow = {
  id: number;
  name: string;
  start: string;
  scopes: string;
  expires_at: number | null;
  revoke_at: number | null;
  created_at: number;
  last_used_at: number | null;
  created_by: number | null;
  created_by_name: string | null;
  /** JSON array; '[]' is any address. */
  allowed_ips: string;
};

/** When the token stops working: its expiry, or earlier when a rotation's grace period ends first. */
export function effectiveExpiry(row: { expires_at: number | null; revoke_at: number | null }): number | null {
  if (row.revoke_at === null) return row.expires_at;
  return row.expires_at === null ? row.revoke_at : Math.min(row.expires_at, row.revoke_at);
}

/** Expired once it stops; retiring while a rotation's grace period still lets it work. */
export function tokenStatus(row: { expires_at: number | null; revoke_at: number | null }, now: number): ApiTokenStatus {
  const stopsAt = effectiveExpiry(row);
  if (stopsAt !== null && stopsAt <= now) return 'expired';
  return row.revoke_at === null ? 'active' : 'retiring';
}

/** `policy`: the owner's current one, to mark tokens made before it that break it. */
export function toApiTokenMetadata(row: ApiTokenMetadataRow, now: number, policy?: TokenPolicy): ApiTokenMetadata {
  const expiresAt = effectiveExpiry(row);
  const scopes = JSON.parse(row.scopes) as string[];
  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes,
    status: tokenStatus(row, now),
    createdAt: new Date(row.created_at),
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    createdBy:
      row.created_by === null || row.created_by_name === null
        ? null
        : { id: row.created_by, name: row.created_by_name },
    allowedIps: JSON.parse(row.allowed_ips) as string[],
    breaksPolicy: policy
      ? policyBreach(policy, { createdAt: row.created_at, expiresAt: row.expires_at, scopes })
      : null,
  };
}

/** What creating or rotating a token reads back from its new row, for `toApiTokenMetadata`. */
export const NEW_TOKEN_COLUMNS = [
  'id',
  'name',
  'start',
  'scopes',
  'expires_at',
  'revoke_at',
  'created_at',
  'last_used_at',
  'created_by',
  'allowed_ips',
] as const;
