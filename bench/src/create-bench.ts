// createApiToken through the library, on SQLite and PostgreSQL alternately: tokens per second, and
// the statements each create sends to the database (counted at the driver), for personal and team
// tokens and at two points of the run, so a count that grows with the table (an N+1) would show.
// An owner holds at most 1,000 tokens (TOKEN_MAX_PER_OWNER), so the run moves to a new user every
// OWNER_SHARE tokens, as a table of many owners would have them.
import fs from 'node:fs';
import path from 'node:path';
import {
  createApiToken,
  createDatabase,
  createTeam,
  createUser,
  migrateToLatest,
  systemClock,
  type Db,
} from '@latchkey/lib';
import { countQueries } from './query-counter';
import { median } from './stats';

export type CreateResult = {
  kind: 'sqlite' | 'postgres';
  tokensPerSecond: number;
  runs: number[];
  /** Statements per create: personal token early, personal token after the run, team token. */
  queriesPerCreate: { personalFirst: number; personalLater: number; team: number };
  statements: string[];
  tokensInTable: number;
};

type Target = {
  kind: 'sqlite' | 'postgres';
  db: Db;
  userId: number;
  /** Tokens of `userId`, which stays below the cap on tokens per owner. */
  ownerTokens: number;
  teamId: number;
  /** The team's admin, who makes its tokens. */
  teamAdminId: number;
  created: number;
  runs: number[];
};

/** Tokens made for one user before the run moves to the next: below the default cap of 1,000. */
const OWNER_SHARE = 900;

/** The user the next token is for: a new one, written directly (no password hashing), once the last has its share. */
async function ownerOf(target: Target): Promise<number> {
  if (target.ownerTokens >= OWNER_SHARE) {
    const owner = await target.db
      .insertInto('users')
      .values({
        email: `owner-${target.created}-${target.kind}@bench.test`,
        name: 'Bench Owner',
        password_hash: 'not-a-password-hash',
        disabled_at: null,
        created_at: systemClock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    target.userId = owner.id;
    target.ownerTokens = 0;
  }
  target.ownerTokens++;
  return target.userId;
}

async function prepare(kind: 'sqlite' | 'postgres', db: Db): Promise<Target> {
  await migrateToLatest(db);
  const clock = systemClock;
  const user = await createUser({
    db,
    clock,
    email: `creator-${kind}@bench.test`,
    name: 'Bench Creator',
    password: 'benchmark-password',
  });
  const team = await createTeam({ db, clock, userId: user.id, name: 'Bench Team', slug: `bench-${kind}` });
  return { kind, db, userId: user.id, ownerTokens: 0, teamId: team.id, teamAdminId: user.id, created: 0, runs: [] };
}

async function createFor(target: Target, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let n = 0;
  let now = started;
  while (now < deadline) {
    await createApiToken({
      db: target.db,
      clock: systemClock,
      userId: await ownerOf(target),
      name: `Bench token ${target.created++}`,
    });
    n++;
    now = performance.now();
  }
  return n / ((now - started) / 1000);
}

async function queriesForOne(target: Target, teamId?: number): Promise<{ count: number; statements: string[] }> {
  const userId = teamId === undefined ? await ownerOf(target) : target.teamAdminId;
  const counter = countQueries();
  try {
    await createApiToken({
      db: target.db,
      clock: systemClock,
      userId,
      teamId,
      name: `Counted token ${target.created++}`,
    });
    return { count: counter.count, statements: [...counter.recent] };
  } finally {
    counter.stop();
  }
}

export async function runCreateBench(options: {
  dir: string;
  postgresUrl: string | null;
  pairs: number;
  secondsPerRun: number;
  log: (line: string) => void;
}): Promise<CreateResult[]> {
  const targets: Target[] = [];
  const sqliteFile = path.join(options.dir, 'create.db');
  fs.rmSync(sqliteFile, { force: true });
  targets.push(await prepare('sqlite', createDatabase(sqliteFile)));
  if (options.postgresUrl) targets.push(await prepare('postgres', createDatabase(options.postgresUrl)));
  options.log(
    `creating tokens through createApiToken on ${targets.map((t) => t.kind).join(' and ')}, ${options.pairs} pairs…`,
  );
  try {
    const first = new Map<Target, { count: number; statements: string[] }>();
    for (const target of targets) first.set(target, await queriesForOne(target));
    for (const target of targets) await createFor(target, Math.min(0.5, options.secondsPerRun)); // warm-up
    for (let i = 0; i < options.pairs; i++) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) target.runs.push(await createFor(target, options.secondsPerRun));
    }
    const results: CreateResult[] = [];
    for (const target of targets) {
      const later = await queriesForOne(target);
      const team = await queriesForOne(target, target.teamId);
      results.push({
        kind: target.kind,
        tokensPerSecond: median(target.runs),
        runs: target.runs,
        queriesPerCreate: { personalFirst: first.get(target)!.count, personalLater: later.count, team: team.count },
        statements: team.statements,
        tokensInTable: target.created,
      });
    }
    return results;
  } finally {
    for (const target of targets) await target.db.destroy();
  }
}
