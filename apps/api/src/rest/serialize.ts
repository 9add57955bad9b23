// Library results → REST JSON (dates as ISO strings).
import type { ApiTokenMetadata, CreatedApiToken, VerifiedApiToken } from '@latchkey/lib';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());
const isoMs = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function restTokenMetadata(token: ApiTokenMetadata) {
  return {
    id: token.id,
    name: token.name,
    start: token.start,
    scopes: token.scopes,
    status: token.status,
    createdAt: token.createdAt.toISOString(),
    expiresAt: iso(token.expiresAt),
    lastUsedAt: iso(token.lastUsedAt),
    createdBy: token.createdBy,
  };
}

export function restCreatedToken(token: CreatedApiToken) {
  return {
    id: token.id,
    token: token.token,
    name: token.name,
    start: token.start,
    scopes: token.scopes,
    createdAt: token.createdAt.toISOString(),
    expiresAt: iso(token.expiresAt),
  };
}

export function restMe(token: VerifiedApiToken) {
  return {
    token: {
      id: token.id,
      name: token.name,
      start: token.start,
      scopes: [...token.scopes],
      createdAt: new Date(token.createdAt).toISOString(),
      expiresAt: isoMs(token.expiresAt),
      lastUsedAt: isoMs(token.lastUsedAt),
    },
    user: token.user,
    team: token.team,
  };
}
