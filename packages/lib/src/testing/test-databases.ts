// Fresh databases for tests: a SQLite file in a temporary folder, and a PostgreSQL database made
// for the run and dropped after. Used by the tests of every package.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Db } from '../db/create-database.js';
import { migrateToLatest } from '../db/migrations.js';
import { assertNoSecretsInAuditEvents } from './find-secrets-in-audit-events.js';

export type TestDatabaseKind = 'sqlite' | 'postgres';

export type TestDatabase = { kind: TestDatabaseKind; db: Db; url: string; drop(): Promise<void> };

/** The server tests use for PostgreSQL; `TEST_POSTGRES_URL` overrides it. */
export const TEST_POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresAvailable: Promise<string | null> | undefined;

/** null when PostgreSQL answers; otherwise why not. */
export function postgresUnavailableReason(): Promise<string | null> {
  postgresAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return `PostgreSQL is not reachable at ${TEST_POSTGRES_ADMIN_URL}: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresAvailable;
}

export async function createTestDatabase(kind: TestDatabaseKind, { migrate = true } = {}): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-test-'));
    const url = path.join(dir, 'test.db');
    const db = createDatabase(url);
    if (migrate) await migrateToLatest(db);
    return {
      kind,
      db,
      url,
      async drop() {
        const secrets = await assertNoSecretsInAuditEvents(db).then(
          () => null,
          (error: unknown) => error,
        );
        await db.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
        if (secrets)
          throw secrets instanceof Error ? secrets : new Error('the audit events check failed', { cause: secrets });
      },
    };
  }

  const name = `latchkey_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDatabase(url.toString());
  if (migrate) await migrateToLatest(db);
  return {
    kind,
    db,
    url: url.toString(),
    async drop() {
      const secrets = await assertNoSecretsInAuditEvents(db).then(
        () => null,
        (error: unknown) => error,
      );
      await db.destroy();
      const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      if (secrets)
        throw secrets instanceof Error ? secrets : new Error('the audit events check failed', { cause: secrets });
    },
  };
}
