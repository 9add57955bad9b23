// Shared helpers for the library tests: unique names, quick users and teams, error assertions and
// a watcher that sees every statement sent to SQLite or PostgreSQL (shared with the server's tests).
import { expect } from 'vitest';
import type { Db } from '../src/db/create-database';
import { AppError, type AppErrorCode } from '../src/errors/app-error';
import type { Clock } from '../src/server-only/clock';
import { hashPassword } from '../src/server-only/hash';
import { addTeamMember } from '../src/server-only/team/add-team-member';
import type { UsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { createVerifier, type VerifiedApiToken } from '../src/server-only/runtime/verifier';
import { createTeam } from '../src/server-only/team/create-team';
import type { PublicTeam, PublicUser, TeamRole } from '../src/types/schemas';

export const DAY_MS = 24 * 60 * 60 * 1000;

let counter = 0;
/** A string no other test in this run uses: for e-mails, slugs and names. */
export function unique(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${counter}x${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
}

// Hashing a password costs ~50 ms; tests that do not sign in share one hash of a password nobody knows.
let sharedPasswordHash: Promise<string> | undefined;

/**
 * A user row inserted directly, for tests about tokens and teams (the users tests use `createUser`).
 * The e-mail is unique to the run.
 */
export async function insertUser(db: Db, clock: Clock, options: { name?: string } = {}): Promise<PublicUser> {
  sharedPasswordHash ??= hashPassword(`not-a-real-password-${Math.random()}`);
  const email = `${unique('user')}@example.test`;
  return db
    .insertInto('users')
    .values({
      email,
      name: options.name ?? `User ${email.slice(0, 12)}`,
      password_hash: await sharedPasswordHash,
      disabled_at: null,
      created_at: clock.now(),
    })
    .returning(['id', 'name', 'email'])
    .executeTakeFirstOrThrow();
}

/** A team made by `admin` through `createTeam`, with the given users added in the given roles. */
export async function makeTeam(
  db: Db,
  clock: Clock,
  admin: PublicUser,
  members: Array<[PublicUser, TeamRole]> = [],
): Promise<PublicTeam> {
  const slug = unique('team').toLowerCase();
  const team = await createTeam({ db, clock, userId: admin.id, name: `Team ${slug}`, slug });
  for (const [user, role] of members) {
    await addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: user.email, role });
  }
  return team;
}

/**
 * Awaits `promise`, expects it to fail with an AppError of `code` (and `message` when given), and
 * returns the error.
 */
export async function expectAppError(
  promise: Promise<unknown> | (() => Promise<unknown>),
  code: AppErrorCode,
  message?: string | RegExp,
): Promise<AppError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, `expected an AppError ${code}, but nothing was thrown`).toBeDefined();
  expect(error, `expected an AppError ${code}, got ${String(error)}`).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect({ code: appError.code, message: appError.message }).toMatchObject({
    code,
    ...(typeof message === 'string' ? { message } : {}),
  });
  if (message instanceof RegExp) expect(appError.message).toMatch(message);
  return appError;
}

export async function countRows(
  db: Db,
  table: 'users' | 'sessions' | 'teams' | 'team_members' | 'api_tokens',
): Promise<number> {
  const { count } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export { watchDatabaseCalls, type DatabaseCall } from '../src/testing/watch-database-calls';

/**
 * The verifier's judgement of a token alone (no cache, no limits, no usage): `{ ok: true, token }`
 * or `{ ok: false, message }`, for tests about which tokens pass.
 */
export async function checkApiToken(options: {
  db: Db;
  clock: Clock;
  token: string;
}): Promise<{ ok: true; token: VerifiedApiToken } | { ok: false; message: string }> {
  const verifier = createVerifier({ db: options.db, clock: options.clock, cache: null, limiter: null });
  const verdict = await verifier.verify(options.token, { checkAddress: false });
  return verdict.ok ? { ok: true, token: verdict.token } : { ok: false, message: verdict.message };
}

/** `checkApiToken`'s token, or an AppError UNAUTHORIZED with the refusal's message. */
export async function getApiTokenByToken(options: { db: Db; clock: Clock; token: string }): Promise<VerifiedApiToken> {
  const check = await checkApiToken(options);
  if (check.ok) return check.token;
  throw new AppError('UNAUTHORIZED', { message: check.message });
}

/** One request with the token through a verifier that records its use in `usage` (no cache, no limits). */
export async function useToken(
  usage: UsageRecorder,
  options: { db: Db; clock: Clock; token: string; ip?: string; userAgent?: string },
): Promise<{ ok: true; token: VerifiedApiToken } | { ok: false; message: string }> {
  const verifier = createVerifier({ db: options.db, clock: options.clock, cache: null, limiter: null, usage });
  const verdict = await verifier.verify(options.token, { ...options, checkAddress: false });
  return verdict.ok ? { ok: true, token: verdict.token } : { ok: false, message: verdict.message };
}
