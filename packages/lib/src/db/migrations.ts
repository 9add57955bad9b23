// Migrations in code, applied in order at start. Append new ones; never edit one that has shipped.
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import { isPostgres } from './database-engine.js';

function migrations(postgres: boolean): Record<string, Migration> {
  // `bigint` on PostgreSQL holds millisecond timestamps; SQLite's integer is 64-bit already.
  const id = postgres ? 'bigserial' : 'integer';
  const time = postgres ? 'bigint' : 'integer';
  const ref = postgres ? 'bigint' : 'integer';

  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('disabled_at', time as 'integer')
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('user_id', ref as 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('expires_at', time as 'integer', (c) => c.notNull())
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();

        await db.schema
          .createTable('teams')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('slug', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('team_members')
          .addColumn('team_id', ref as 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
          .addColumn('user_id', ref as 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('ADMIN', 'MANAGER', 'MEMBER')`))
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
          .execute();
        await db.schema.createIndex('team_members_user_id_idx').on('team_members').column('user_id').execute();

        await db.schema
          .createTable('api_tokens')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('start', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('expires_at', time as 'integer')
          .addColumn('revoke_at', time as 'integer')
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .addColumn('last_used_at', time as 'integer')
          .addColumn('user_id', ref as 'integer', (c) => c.references('users.id').onDelete('cascade'))
          .addColumn('team_id', ref as 'integer', (c) => c.references('teams.id').onDelete('cascade'))
          .addColumn('created_by', ref as 'integer', (c) => c.references('users.id').onDelete('set null'))
          // Exactly one owner: a user or a team.
          .addCheckConstraint('api_tokens_one_owner', sql`(user_id is null) <> (team_id is null)`)
          .execute();
        await db.schema
          .createIndex('api_tokens_token_hash_idx')
          .unique()
          .on('api_tokens')
          .column('token_hash')
          .execute();
        await db.schema.createIndex('api_tokens_user_id_idx').on('api_tokens').columns(['user_id', 'id']).execute();
        await db.schema.createIndex('api_tokens_team_id_idx').on('api_tokens').columns(['team_id', 'id']).execute();
      },
    },
    '0002_revocation_log': {
      async up(db: Kysely<unknown>) {
        // Recent invalidations, read by the other processes on the database to drop what they cache.
        // The time is the database's own, so every process reads one clock; old rows are purged.
        const dbNow = postgres
          ? sql`(cast(extract(epoch from clock_timestamp()) * 1000 as bigint))`
          : sql`(cast((julianday('now') - 2440587.5) * 86400000 as integer))`;
        await db.schema
          .createTable('revocation_log')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('tokens', 'user', 'team')`))
          // A JSON array of token ids, or of the one user or team id.
          .addColumn('ids', 'text', (c) => c.notNull())
          .addColumn('created_at', time as 'integer', (c) => c.notNull().defaultTo(dbNow))
          .execute();
        await db.schema
          .createIndex('revocation_log_created_at_idx')
          .on('revocation_log')
          .column('created_at')
          .execute();
      },
    },
    '0003_usage_and_audit': {
      async up(db: Kysely<unknown>) {
        // No foreign keys to tokens or users: an event must outlive the token it tells of, and a
        // usage flush that races a token's deletion must not fail its whole batch.
        await db.schema
          .createTable('audit_events')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .addColumn('actor_kind', 'text', (c) =>
            c.notNull().check(sql`actor_kind in ('user', 'token', 'cli', 'leak_report')`),
          )
          .addColumn('actor_id', ref as 'integer')
          .addColumn('actor_name', 'text')
          .addColumn('user_id', ref as 'integer')
          .addColumn('team_id', ref as 'integer')
          .addColumn('token_id', ref as 'integer')
          .addColumn('ip', 'text')
          .addColumn('user_agent', 'text')
          .addColumn('details', 'text', (c) => c.notNull())
          .addCheckConstraint('audit_events_one_owner', sql`(user_id is null) <> (team_id is null)`)
          .execute();
        await db.schema.createIndex('audit_events_user_id_idx').on('audit_events').columns(['user_id', 'id']).execute();
        await db.schema.createIndex('audit_events_team_id_idx').on('audit_events').columns(['team_id', 'id']).execute();
        await db.schema
          .createIndex('audit_events_token_id_idx')
          .on('audit_events')
          .columns(['token_id', 'id'])
          .execute();
        await db.schema.createIndex('audit_events_created_at_idx').on('audit_events').column('created_at').execute();

        // One row per token and hour; flushes add to it (insert … on conflict do update), so the
        // counts of several servers add up.
        await db.schema
          .createTable('api_token_usage')
          .addColumn('token_id', ref as 'integer', (c) => c.notNull())
          .addColumn('hour_start', time as 'integer', (c) => c.notNull())
          .addColumn('requests', time as 'integer', (c) => c.notNull())
          .addColumn('failed', time as 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('api_token_usage_pk', ['token_id', 'hour_start'])
          .execute();
        await db.schema
          .createIndex('api_token_usage_hour_start_idx')
          .on('api_token_usage')
          .column('hour_start')
          .execute();

        // The last distinct client addresses of each token; a flush keeps the newest 5.
        await db.schema
          .createTable('api_token_recent_ips')
          .addColumn('token_id', ref as 'integer', (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull())
          .addColumn('user_agent', 'text')
          .addColumn('last_seen_at', time as 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('api_token_recent_ips_pk', ['token_id', 'ip'])
          .execute();

        // Hashes of rotated-away tokens, so that one presented again can be told from an unknown one.
        await db.schema
          .createTable('retired_api_token_hashes')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('token_id', ref as 'integer', (c) => c.notNull())
          .addColumn('user_id', ref as 'integer')
          .addColumn('team_id', ref as 'integer')
          .addColumn('stops_at', time as 'integer', (c) => c.notNull())
          .addColumn('reported_at', time as 'integer')
          .execute();
        await db.schema
          .createIndex('retired_api_token_hashes_stops_at_idx')
          .on('retired_api_token_hashes')
          .column('stops_at')
          .execute();
      },
    },
    '0004_policies_and_allowed_ips': {
      async up(db: Kysely<unknown>) {
        // Normalised addresses and CIDR ranges as a JSON array; '[]' is any address.
        await db.schema
          .alterTable('api_tokens')
          .addColumn('allowed_ips', 'text', (c) => c.notNull().defaultTo('[]'))
          .execute();
        // When a refusal from another address was last recorded, so that it is at most once a minute.
        await db.schema
          .alterTable('api_tokens')
          .addColumn('ip_refused_reported_at', time as 'integer')
          .execute();
        // A team's token policy; null is no limit.
        await db.schema.alterTable('teams').addColumn('policy_max_lifetime_days', 'integer').execute();
        await db.schema.alterTable('teams').addColumn('policy_allowed_scopes', 'text').execute();
      },
    },
    '0005_usage_rows_by_token': {
      async up(db: Kysely<unknown>) {
        // Flushes write the rows hour by hour for all tokens, so one token's hours were spread over
        // as many pages as it has rows, and reading a month of them read a page per hour.
        if (postgres) {
          // The primary key carries the counts: a token's range is read from the index alone
          // (index-only scan), wherever its rows sit in the heap. Same key, so the flush's
          // `on conflict (token_id, hour_start)` still finds it.
          await sql`alter table api_token_usage drop constraint api_token_usage_pk,
            add constraint api_token_usage_pk primary key (token_id, hour_start) include (requests, failed)`.execute(
            db,
          );
          return;
        }
        // SQLite: the table itself keyed (token_id, hour_start) (WITHOUT ROWID), so a token's hours
        // sit side by side in key order. Every row is copied over, in one transaction (SQLite's
        // migrations run without one).
        await db.transaction().execute(async (trx) => {
          await trx.schema
            .createTable('api_token_usage_by_token')
            .addColumn('token_id', 'integer', (c) => c.notNull())
            .addColumn('hour_start', 'integer', (c) => c.notNull())
            .addColumn('requests', 'integer', (c) => c.notNull())
            .addColumn('failed', 'integer', (c) => c.notNull())
            .addPrimaryKeyConstraint('api_token_usage_pk', ['token_id', 'hour_start'])
            .modifyEnd(sql`without rowid`)
            .execute();
          await sql`insert into api_token_usage_by_token (token_id, hour_start, requests, failed)
            select token_id, hour_start, requests, failed from api_token_usage order by token_id, hour_start`.execute(
            trx,
          );
          // Dropping the old table drops its hour_start index, made again on the new one (the purge's).
          await trx.schema.dropTable('api_token_usage').execute();
          await trx.schema.alterTable('api_token_usage_by_token').renameTo('api_token_usage').execute();
          await trx.schema
            .createIndex('api_token_usage_hour_start_idx')
            .on('api_token_usage')
            .column('hour_start')
            .execute();
        });
      },
    },
    '0006_service_clients': {
      async up(db: Kysely<unknown>) {
        // The callers of introspection (RFC 7662), made by operators. The secret is kept only as a
        // SHA-256 hash, like a token: it is high-entropy, so a fast hash is safe.
        await db.schema
          .createTable('service_clients')
          .addColumn('id', id as 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('client_id', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', time as 'integer', (c) => c.notNull())
          .execute();
      },
    },
    '0007_token_lineage_and_session_devices': {
      async up(db: Kysely<unknown>) {
        // Where and with what each session signed in, for the account's list of signed-in sessions.
        await db.schema.alterTable('sessions').addColumn('ip', 'text').execute();
        await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();

        // Which tokens a rotated token replaces, nearest first (depth 1 is the one it replaced), with
        // their starts: a predecessor rotated without grace is deleted, yet its usage and its name in
        // the lineage stay. Rows go with the token they describe (cascade); an ancestor id may name a
        // deleted token, so it has no foreign key.
        await db.schema
          .createTable('api_token_lineage')
          .addColumn('token_id', ref as 'integer', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
          .addColumn('ancestor_id', ref as 'integer', (c) => c.notNull())
          .addColumn('ancestor_start', 'text', (c) => c.notNull())
          .addColumn('depth', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('api_token_lineage_pk', ['token_id', 'ancestor_id'])
          .execute();
        // "Replaced by": the token whose depth-1 ancestor is this one.
        await db.schema
          .createIndex('api_token_lineage_ancestor_id_idx')
          .on('api_token_lineage')
          .column('ancestor_id')
          .execute();
      },
    },
  };
}

function migratorFor<DB>(db: Kysely<DB>): Migrator {
  const all = migrations(isPostgres(db));
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  return new Migrator({
    db,
    provider,
    migrationTableName: 'latchkey_migrations',
    migrationLockTableName: 'latchkey_migrations_lock',
  });
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  return applied(await migratorFor(db).migrateToLatest());
}

/** Applies the migrations up to and including `name` (a database as an older version left it; for tests). */
export async function migrateUpTo<DB>(db: Kysely<DB>, name: string): Promise<string[]> {
  return applied(await migratorFor(db).migrateTo(name));
}

/** The migrations not yet applied to the database (all of them for a database without Latchkey's schema). */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const known = await migratorFor(db).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
