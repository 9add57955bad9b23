// Kysely table types. Timestamps are integer milliseconds since the epoch on both databases,
// booleans are 0/1 and lists are JSON text, so one query set serves SQLite and PostgreSQL.
import type { Generated } from 'kysely';
import type { AuditActorKind } from '../universal/audit-event-types.js';

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
}

export interface SessionsTable {
  id: Generated<number>;
  /** SHA-256 (hex) of the session id held in the cookie. */
  token_hash: string;
  user_id: number;
  expires_at: number;
  created_at: number;
  /** Where and with what it signed in (null for sessions older than these columns). */
  ip: Generated<string | null>;
  user_agent: Generated<string | null>;
}

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  slug: string;
  created_at: number;
  /** The longest lifetime a new team token may have, in days; null is no limit. */
  policy_max_lifetime_days: Generated<number | null>;
  /** JSON array of the scopes a new team token may hold; null is every scope. */
  policy_allowed_scopes: Generated<string | null>;
}

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  role: 'ADMIN' | 'MANAGER' | 'MEMBER';
  created_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  /** Hex digest of the token under `algorithm`; the plain token is never stored. */
  token_hash: string;
  algorithm: string;
  start: string;
  /** JSON array of scope names. */
  scopes: string;
  expires_at: number | null;
  /** Set when the token was rotated with a grace period: it stops working at this time. */
  revoke_at: number | null;
  created_at: number;
  last_used_at: number | null;
  user_id: number | null;
  team_id: number | null;
  created_by: number | null;
  /** JSON array of normalised addresses and CIDR ranges; '[]' is any address. */
  allowed_ips: Generated<string>;
  ip_refused_reported_at: Generated<number | null>;
}

export interface RevocationLogTable {
  /** In commit order on SQLite; on PostgreSQL two transactions may commit out of id order. */
  id: Generated<number>;
  kind: 'tokens' | 'user' | 'team';
  /** JSON array: the token ids, or the one user or team id. */
  ids: string;
  /** Set by the database (its clock), milliseconds. */
  created_at: Generated<number>;
}

export interface AuditEventsTable {
  id: Generated<number>;
  type: string;
  created_at: number;
  actor_kind: AuditActorKind;
  /** A user id for `user`, a token id for `token`; null for `cli` and `leak_report`. */
  actor_id: number | null;
  actor_name: string | null;
  /** The owner whose log holds the event: exactly one of user_id and team_id is set. */
  user_id: number | null;
  team_id: number | null;
  token_id: number | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object. */
  details: string;
}

export interface ApiTokenUsageTable {
  token_id: number;
  /** Start of the hour (UTC, ms). */
  hour_start: number;
  requests: number;
  failed: number;
}

export interface ApiTokenRecentIpsTable {
  token_id: number;
  ip: string;
  user_agent: string | null;
  last_seen_at: number;
}

export interface RetiredApiTokenHashesTable {
  token_hash: string;
  token_id: number;
  user_id: number | null;
  team_id: number | null;
  /** When the rotated-away token stopped working; a use after it is a reuse. */
  stops_at: number;
  /** When its last `token.reused_after_rotation` event was recorded. */
  reported_at: number | null;
}

export interface ServiceClientsTable {
  id: Generated<number>;
  /** `svc_` + 20 base62 characters; what the client sends as its `client_id`. */
  client_id: string;
  name: string;
  /** SHA-256 (hex) of the client secret; the secret itself is shown once, at creation. */
  secret_hash: string;
  created_at: number;
}

export interface ApiTokenLineageTable {
  /** A token made by rotation. */
  token_id: number;
  /** A token it replaces, directly (depth 1) or through earlier rotations; it may be deleted. */
  ancestor_id: number;
  ancestor_start: string;
  depth: number;
}

export interface Schema {
  users: UsersTable;
  sessions: SessionsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  api_tokens: ApiTokensTable;
  revocation_log: RevocationLogTable;
  audit_events: AuditEventsTable;
  api_token_usage: ApiTokenUsageTable;
  api_token_recent_ips: ApiTokenRecentIpsTable;
  retired_api_token_hashes: RetiredApiTokenHashesTable;
  service_clients: ServiceClientsTable;
  api_token_lineage: ApiTokenLineageTable;
}
