// Fills benchmark databases fast: the schema comes from the library's migrations, the rows from raw
// prepared inserts in one transaction. Every token is a real generated token stored as its real
// SHA-256 hash, exactly as createApiToken stores it; a random sample of the plain tokens is kept.
import { randomInt } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  BUILTIN_SCOPES,
  pingRedis,
  createDatabase,
  createSession,
  createUser,
  type Clock,
  type Db,
  generateApiToken,
  hashPassword,
  hashSecret,
  migrateToLatest,
  TOKEN_HASH_ALGORITHM,
  tokenStart,
} from '@latchkey/lib';

export type SeedOptions = {
  tokens: number;
  /** How many plain tokens to keep, chosen uniformly at random among all of them. */
  sample: number;
  /** Tokens are spread over this many users. */
  users?: number;
  /** Every n-th token belongs to the user's team instead of the user; 0 for none. Default 10. */
  teamEvery?: number;
  now?: number;
};

export type Seeded = {
  /** Plain tokens of the sample, in random order; all are valid (active, owner enabled). */
  sample: string[];
  userIds: number[];
  seconds: number;
};

const SCOPES = JSON.stringify(BUILTIN_SCOPES);

/** Picks `k` distinct indexes of `0…n-1` at random. */
function sampleIndexes(n: number, k: number): Set<number> {
  const picked = new Set<number>();
  if (k >= n) {
    for (let i = 0; i < n; i++) picked.add(i);
    return picked;
  }
  while (picked.size < k) picked.add(randomInt(n));
  return picked;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A migrated SQLite file with `tokens` rows in `api_tokens`. */
export async function seedSqlite(file: string, options: SeedOptions): Promise<Seeded> {
  const started = performance.now();
  const db = createDatabase(file);
  await migrateToLatest(db);
  await db.destroy();

  const now = options.now ?? Date.now();
  const userCount = options.users ?? Math.max(1, Math.min(1000, Math.ceil(options.tokens / 1000)));
  const teamEvery = options.teamEvery ?? 10;
  const passwordHash = await hashPassword('benchmark-password');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = OFF');
  // Room for the whole index while it is filled in random order; the connection is closed after.
  sqlite.pragma('cache_size = -1048576');
  const insertUser = sqlite.prepare(
    'insert into users (email, name, password_hash, disabled_at, created_at) values (?, ?, ?, null, ?)',
  );
  const insertTeam = sqlite.prepare('insert into teams (name, slug, created_at) values (?, ?, ?)');
  const insertMember = sqlite.prepare(
    "insert into team_members (team_id, user_id, role, created_at) values (?, ?, 'ADMIN', ?)",
  );
  const insertToken = sqlite.prepare(
    `insert into api_tokens (name, token_hash, algorithm, start, scopes, expires_at, revoke_at, created_at,
       last_used_at, user_id, team_id, created_by)
     values (?, ?, ?, ?, ?, null, null, ?, null, ?, ?, ?)`,
  );
  const keep = sampleIndexes(options.tokens, options.sample);
  const sample: string[] = [];
  const userIds: number[] = [];
  // The token-hash index is built once after the rows are in (a sort, not a million random
  // inserts), with the very definition the migration gave it.
  const hashIndex = sqlite
    .prepare("select sql from sqlite_master where type = 'index' and name = 'api_tokens_token_hash_idx'")
    .pluck()
    .get() as string;
  sqlite.transaction(() => {
    sqlite.exec('drop index api_tokens_token_hash_idx');
    for (let u = 0; u < userCount; u++) {
      const userId = Number(
        insertUser.run(`user${u}@bench.test`, `Bench User ${u}`, passwordHash, now).lastInsertRowid,
      );
      const teamId = Number(insertTeam.run(`Bench Team ${u}`, `bench-team-${u}`, now).lastInsertRowid);
      insertMember.run(teamId, userId, now);
      userIds.push(userId);
    }
    for (let i = 0; i < options.tokens; i++) {
      const token = generateApiToken();
      if (keep.has(i)) sample.push(token);
      const userId = userIds[i % userCount]!;
      // Team ids follow user ids one to one here.
      const team = teamEvery > 0 && i % teamEvery === teamEvery - 1;
      insertToken.run(
        `Token ${i}`,
        hashSecret(token),
        TOKEN_HASH_ALGORITHM,
        tokenStart(token),
        SCOPES,
        now - 1000,
        team ? null : userId,
        team ? userId : null,
        userId,
      );
    }
    sqlite.exec(hashIndex);
  })();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  return { sample: shuffle(sample), userIds, seconds: (performance.now() - started) / 1000 };
}

/** A fresh PostgreSQL database for one run; `drop()` removes it. */
export async function createPostgresDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `latchkey_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** null when PostgreSQL answers at `adminUrl`; otherwise why not. */
export async function postgresUnavailable(adminUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * What the HTTP server benchmarks need, through the library on either database: a user with a
 * session (for tRPC) and `tokens` personal tokens (bulk-inserted rows with real hashes).
 */
/** null when Redis answers a PING within 3 s; otherwise why not. */
export async function redisUnavailable(url: string): Promise<string | null> {
  return pingRedis(url, 3000).then(
    () => null,
    (error: Error) => error.message,
  );
}

export async function seedServerDatabase(
  db: Db,
  clock: Clock,
  tokens: number,
): Promise<{ userId: number; sessionId: string; tokens: string[] }> {
  await migrateToLatest(db);
  const user = await createUser({
    db,
    clock,
    email: 'bench@bench.test',
    name: 'Bench User',
    password: 'benchmark-password',
  });
  const { sessionId } = await createSession({ db, clock, userId: user.id });
  const plain: string[] = [];
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < tokens; i += 200) {
      const rows = [];
      for (let j = i; j < Math.min(tokens, i + 200); j++) {
        const token = generateApiToken();
        plain.push(token);
        rows.push({
          name: `Token ${j}`,
          token_hash: hashSecret(token),
          algorithm: TOKEN_HASH_ALGORITHM,
          start: tokenStart(token),
          scopes: SCOPES,
          expires_at: null,
          revoke_at: null,
          created_at: now - 1000,
          last_used_at: null,
          user_id: user.id,
          team_id: null,
          created_by: user.id,
        });
      }
      await trx.insertInto('api_tokens').values(rows).execute();
    }
    // The token the HTTP runs present was last used an hour ago, as a token in steady use: its
    // answer then holds a `lastUsedAt` on a server recording usage and on one that is not alike.
    await trx
      .updateTable('api_tokens')
      .set({ last_used_at: now - 60 * 60_000 })
      .where('token_hash', '=', hashSecret(plain[0]!))
      .execute();
  });
  return { userId: user.id, sessionId, tokens: plain };
}
