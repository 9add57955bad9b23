// Password hashes: OWASP's scrypt parameters written into every new hash, older hashes still
// verified and replaced at their user's next sign-in, and hashing that leaves libuv's thread pool
// free for other work however many sign-ins arrive at once.
import { randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import {
  hashPassword,
  PASSWORD_HASH_CONCURRENCY,
  PASSWORD_HASH_PARAMETERS,
  passwordHashNeedsUpgrade,
  verifyPassword,
} from '../src/server-only/hash';
import { verifyUserCredentials } from '../src/server-only/user/verify-user-credentials';
import { describeEachDatabase } from '../src/testing/index';
import { expectAppError, insertUser, unique } from './helpers';

const clock = new ManualClock();

const PASSWORD = 'correct horse battery';

/** A hash in the stored format, made as Latchkey made them before (N=2^14). */
function oldHash(password: string, N = 2 ** 14): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 64, { N, r: 8, p: 1 });
  return ['scrypt', N, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe('password hashes', () => {
  it("are made at OWASP's current minimum for scrypt, N=2^17, r=8, p=1, and say so", async () => {
    expect(PASSWORD_HASH_PARAMETERS).toEqual({ N: 131072, r: 8, p: 1 });
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect(passwordHashNeedsUpgrade(stored)).toBe(false);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });

  it('made before (N=2^14) still verify, and are marked for an upgrade', async () => {
    const stored = oldHash(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, stored)).toBe(false);
    expect(passwordHashNeedsUpgrade(stored)).toBe(true);
  });

  it('that are damaged or ask for absurd parameters are refused without being computed', async () => {
    const [, , , , salt, key] = oldHash(PASSWORD).split('$');
    for (const stored of [
      `scrypt$${2 ** 30}$8$1$${salt}$${key}`, // 128 GiB
      `scrypt$100000$8$1$${salt}$${key}`, // not a power of two
      `scrypt$16384$1000$1$${salt}$${key}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$${key}$more`,
      `bcrypt$16384$8$1$${salt}$${key}`,
      '',
    ]) {
      const started = performance.now();
      expect(await verifyPassword(PASSWORD, stored)).toBe(false);
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it("in parallel leave libuv's thread pool free: a file read does not wait for any of them", async () => {
    const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    expect(PASSWORD_HASH_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(PASSWORD_HASH_CONCURRENCY).toBeLessThanOrEqual(Math.max(1, pool - 2));
    let firstHashAt = Infinity;
    const hashes = Array.from({ length: pool + 2 }, (_, i) =>
      hashPassword(`${PASSWORD} ${i}`).then(() => {
        firstHashAt = Math.min(firstHashAt, performance.now());
      }),
    );
    // Unbounded, these hashes would take every thread of the pool (4 by default), and the read would queue.
    const readAt = await fs.readFile(import.meta.filename).then(() => performance.now());
    await Promise.all(hashes);
    expect(readAt).toBeLessThan(firstHashAt);
  });
});

describeEachDatabase('password hashes at sign-in', (getDatabase) => {
  async function userWithHash(stored: string) {
    const { db } = getDatabase();
    const user = await insertUser(db, new ManualClock());
    await db.updateTable('users').set({ password_hash: stored }).where('id', '=', user.id).execute();
    return { db, user };
  }

  async function storedHash(userId: number) {
    const { db } = getDatabase();
    const row = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
    return row.password_hash;
  }

  it('an old hash is replaced by one at the current parameters at the next successful sign-in', async () => {
    const old = oldHash(PASSWORD);
    const { db, user } = await userWithHash(old);
    expect(await verifyUserCredentials({ clock, db, email: user.email, password: PASSWORD })).toEqual(user);
    const upgraded = await storedHash(user.id);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(upgraded).not.toContain(PASSWORD);
    // The same password signs in against the new hash, which then stays as it is.
    expect(await verifyUserCredentials({ clock, db, email: user.email, password: PASSWORD })).toEqual(user);
    expect(await storedHash(user.id)).toBe(upgraded);
  });

  it('a wrong password leaves an old hash as it is', async () => {
    const old = oldHash(PASSWORD);
    const { db, user } = await userWithHash(old);
    await expectAppError(
      verifyUserCredentials({ clock, db, email: user.email, password: `wrong ${unique()}` }),
      'UNAUTHORIZED',
      'Invalid e-mail or password',
    );
    expect(await storedHash(user.id)).toBe(old);
  });

  it("a disabled user's old hash is not upgraded, even with the right password", async () => {
    const old = oldHash(PASSWORD);
    const { db, user } = await userWithHash(old);
    await db.updateTable('users').set({ disabled_at: 1 }).where('id', '=', user.id).execute();
    await expectAppError(
      verifyUserCredentials({ clock, db, email: user.email, password: PASSWORD }),
      'UNAUTHORIZED',
      'This account is disabled',
    );
    expect(await storedHash(user.id)).toBe(old);
  });
});
