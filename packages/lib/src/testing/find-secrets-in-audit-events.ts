// Every test database is searched for secrets in its audit events before it is dropped, so every
// event written by any test of the run is checked: no token, no stored hash (of a token, a session
// or a password), no session id or cookie value may appear in any column of any event.
import type { Db } from '../db/create-database.js';

const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['an API token', /api_[0-9A-Za-z]{36}/],
  ['a SHA-256 digest', /\b[0-9a-f]{64}\b/i],
  ['a session id', /(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}($|[^A-Za-z0-9_-])/],
  ['a password hash', /\$(scrypt|argon2|2[aby])\$|scrypt:/i],
  ['a cookie', /latchkey_session=/i],
];

/** Descriptions of the secrets found, one per offending event; empty when there are none. */
export async function findSecretsInAuditEvents(db: Db): Promise<string[]> {
  const events = await db.selectFrom('audit_events').selectAll().execute();
  if (events.length === 0) return [];
  const stored = new Set<string>();
  for (const { token_hash } of await db.selectFrom('api_tokens').select('token_hash').execute()) stored.add(token_hash);
  for (const { token_hash } of await db.selectFrom('retired_api_token_hashes').select('token_hash').execute())
    stored.add(token_hash);
  for (const { token_hash } of await db.selectFrom('sessions').select('token_hash').execute()) stored.add(token_hash);
  for (const { password_hash } of await db.selectFrom('users').select('password_hash').execute())
    stored.add(password_hash);

  const found: string[] = [];
  for (const event of events) {
    const text = [event.type, event.actor_name, event.ip, event.user_agent, event.details].join('\n');
    const pattern = SECRET_PATTERNS.find(([, regex]) => regex.test(text));
    if (pattern) found.push(`event ${event.id} (${event.type}) holds ${pattern[0]}`);
    else if ([...stored].some((secret) => text.includes(secret)))
      found.push(`event ${event.id} (${event.type}) holds a stored hash`);
  }
  return found;
}

/** Throws when an event holds a secret; a database without the audit table (not migrated) passes. */
export async function assertNoSecretsInAuditEvents(db: Db): Promise<void> {
  let found: string[];
  try {
    found = await findSecretsInAuditEvents(db);
  } catch (error) {
    if (/no such table|does not exist/i.test((error as Error).message)) return;
    throw error;
  }
  if (found.length > 0) throw new Error(`Secrets in audit events: ${found.join('; ')}`);
}
