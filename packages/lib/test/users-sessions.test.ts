// Users and sessions: sign-up validation, unique e-mails (also under a race), scrypt-hashed
// passwords, the sign-in check, disabling, and sessions that expire or end.
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors/app-error';
import { ManualClock } from '../src/server-only/clock';
import { verifyPassword } from '../src/server-only/hash';
import { createSession, SESSION_LIFETIME_MS } from '../src/server-only/session/create-session';
import { deleteSession } from '../src/server-only/session/delete-session';
import { getSessionUser } from '../src/server-only/session/get-session-user';
import { COMMON_PASSWORD_MESSAGE } from '../src/server-only/user/common-passwords';
import { createUser } from '../src/server-only/user/create-user';
import { disableUser } from '../src/server-only/user/disable-user';
import { getUserByEmail } from '../src/server-only/user/get-user-by-email';
import { verifyUserCredentials } from '../src/server-only/user/verify-user-credentials';
import { describeEachDatabase } from '../src/testing/index';
import { countRows, expectAppError, unique } from './helpers';

const PASSWORD = 'correct horse battery';

describeEachDatabase('users and sessions', (getDatabase) => {
  function email(prefix = 'person') {
    return `${unique(prefix)}@example.test`;
  }

  describe('creating users', () => {
    it('returns the public user with the e-mail trimmed and lower-cased, and no password', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email('mixed');
      const user = await createUser({
        db,
        clock,
        email: `  ${address.toUpperCase()} `,
        name: '  Grace Hopper ',
        password: PASSWORD,
      });
      expect(user).toEqual({ id: expect.any(Number), name: 'Grace Hopper', email: address });
      expect(await getUserByEmail({ db, email: address.toUpperCase() })).toEqual(user);
    });

    it.each([
      ['a malformed e-mail', { email: 'not-an-email' }, 'email'],
      ['an e-mail without a domain', { email: 'someone@' }, 'email'],
      ['an empty e-mail', { email: '' }, 'email'],
      ['a 9-character password', { password: 'kx7#pq2mZ' }, 'password'],
      ['an 8-digit password', { password: '12345678' }, 'password'],
      ['an empty password', { password: '' }, 'password'],
      ['a password over 256 characters', { password: 'p'.repeat(257) }, 'password'],
      ['an empty name', { name: '   ' }, 'name'],
      ['a name with a control character', { name: 'Bad\u0000Name' }, 'name'],
    ])('refuses %s with INVALID_BODY on that field, and stores nothing', async (_what, override, path) => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const before = await countRows(db, 'users');
      const error = await expectAppError(
        createUser({ db, clock, email: email(), name: 'Valid Name', password: PASSWORD, ...override }),
        'INVALID_BODY',
      );
      expect(error.issues?.map((i) => i.path)).toContain(path);
      expect(await countRows(db, 'users')).toBe(before);
    });

    it('accepts a password of exactly 10 characters', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email();
      await createUser({ db, clock, email: address, name: 'Short Pass', password: 'kx7#pq2mZw' });
      expect((await verifyUserCredentials({ clock, db, email: address, password: 'kx7#pq2mZw' })).email).toBe(address);
    });

    it.each(['qwertyuiop', '1234567890', 'password123', 'Password123', 'BASKETBALL', '1qaz2wsx3edc'])(
      'refuses %s, one of the 10,000 most common passwords (in any case), saying so, and stores nothing',
      async (password) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const before = await countRows(db, 'users');
        const error = await expectAppError(
          createUser({ db, clock, email: email(), name: 'Common', password }),
          'INVALID_BODY',
          COMMON_PASSWORD_MESSAGE,
        );
        expect(error.issues).toEqual([{ path: 'password', message: COMMON_PASSWORD_MESSAGE }]);
        expect(await countRows(db, 'users')).toBe(before);
      },
    );

    it('a second account with the same e-mail, in any case, is a CONFLICT', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email('taken');
      await createUser({ db, clock, email: address, name: 'First', password: PASSWORD });
      await expectAppError(
        createUser({ db, clock, email: address, name: 'Second', password: PASSWORD }),
        'CONFLICT',
        'An account with this e-mail already exists',
      );
      await expectAppError(
        createUser({ db, clock, email: address.toUpperCase(), name: 'Third', password: PASSWORD }),
        'CONFLICT',
      );
      expect(await db.selectFrom('users').select('name').where('email', '=', address).execute()).toEqual([
        { name: 'First' },
      ]);
    });

    it('of 10 parallel sign-ups with one e-mail exactly one succeeds; the others are CONFLICT', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email('race');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          createUser({
            db,
            clock,
            email: i % 2 ? address : address.toUpperCase(),
            name: `Racer ${i}`,
            password: PASSWORD,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(AppError);
          expect((r.reason as AppError).code).toBe('CONFLICT');
        }
      }
      expect(await db.selectFrom('users').select('id').where('email', '=', address).execute()).toHaveLength(1);
    });

    it('stores the password only as a salted scrypt hash that verifies', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const a = await createUser({ db, clock, email: email(), name: 'Hash A', password: PASSWORD });
      const b = await createUser({ db, clock, email: email(), name: 'Hash B', password: PASSWORD });
      const rows = await db
        .selectFrom('users')
        .select(['id', 'password_hash'])
        .where('id', 'in', [a.id, b.id])
        .orderBy('id')
        .execute();
      for (const { password_hash } of rows) {
        expect(password_hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
        expect(password_hash).not.toContain(PASSWORD);
        expect(await verifyPassword(PASSWORD, password_hash)).toBe(true);
        expect(await verifyPassword(`${PASSWORD}!`, password_hash)).toBe(false);
      }
      expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
    });
  });

  describe('signing in', () => {
    it('the right e-mail (any case) and password give the user', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email();
      const user = await createUser({ db, clock, email: address, name: 'Signer', password: PASSWORD });
      expect(
        await verifyUserCredentials({ clock, db, email: ` ${address.toUpperCase()}`, password: PASSWORD }),
      ).toEqual(user);
    });

    it('a wrong password or an unknown e-mail is UNAUTHORIZED with the same message', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email();
      await createUser({ db, clock, email: address, name: 'Signer', password: PASSWORD });
      await expectAppError(
        verifyUserCredentials({ clock, db, email: address, password: 'wrong password' }),
        'UNAUTHORIZED',
        'Invalid e-mail or password',
      );
      await expectAppError(
        verifyUserCredentials({ clock, db, email: address, password: PASSWORD.toUpperCase() }),
        'UNAUTHORIZED',
        'Invalid e-mail or password',
      );
      await expectAppError(
        verifyUserCredentials({ clock, db, email: email('nobody'), password: PASSWORD }),
        'UNAUTHORIZED',
        'Invalid e-mail or password',
      );
      await expectAppError(
        verifyUserCredentials({ clock, db, email: address, password: 'x'.repeat(300) }),
        'UNAUTHORIZED',
        'Invalid e-mail or password',
      );
    });

    it('a disabled user cannot sign in, even with the right password', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email();
      await createUser({ db, clock, email: address, name: 'Disabled', password: PASSWORD });
      await disableUser({ db, clock, email: address.toUpperCase() });
      await expectAppError(
        verifyUserCredentials({ clock, db, email: address, password: PASSWORD }),
        'UNAUTHORIZED',
        'This account is disabled',
      );
    });
  });

  describe('sessions', () => {
    async function signedIn() {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const address = email();
      const user = await createUser({ db, clock, email: address, name: 'Session user', password: PASSWORD });
      return { db, clock, user, address };
    }

    it('a new session id is long and random, lasts 30 days, and finds its user', async () => {
      const { db, clock, user } = await signedIn();
      const first = await createSession({ db, clock, userId: user.id });
      const second = await createSession({ db, clock, userId: user.id });
      expect(first.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.sessionId).not.toBe(second.sessionId);
      expect(first.expiresAt).toEqual(new Date(clock.now() + 30 * 24 * 60 * 60 * 1000));
      expect(SESSION_LIFETIME_MS).toBe(30 * 24 * 60 * 60 * 1000);
      expect(await getSessionUser({ db, clock, sessionId: first.sessionId })).toEqual(user);
    });

    it('a session works until the millisecond before it expires, and not from then on', async () => {
      const { db, clock, user } = await signedIn();
      const { sessionId, expiresAt } = await createSession({ db, clock, userId: user.id });
      clock.set(expiresAt.getTime() - 1);
      expect(await getSessionUser({ db, clock, sessionId })).toEqual(user);
      clock.set(expiresAt);
      expect(await getSessionUser({ db, clock, sessionId })).toBeNull();
    });

    it('deleteSession ends that session only', async () => {
      const { db, clock, user } = await signedIn();
      const ended = await createSession({ db, clock, userId: user.id });
      const other = await createSession({ db, clock, userId: user.id });
      await deleteSession({ db, sessionId: ended.sessionId });
      expect(await getSessionUser({ db, clock, sessionId: ended.sessionId })).toBeNull();
      expect(await getSessionUser({ db, clock, sessionId: other.sessionId })).toEqual(user);
    });

    it('an unknown, empty or absurd session id finds nobody', async () => {
      const { db, clock, user } = await signedIn();
      const { sessionId } = await createSession({ db, clock, userId: user.id });
      const changed = sessionId.slice(0, -1) + (sessionId.endsWith('x') ? 'y' : 'x');
      for (const id of ['', 'short', changed, 'a'.repeat(500)]) {
        expect(await getSessionUser({ db, clock, sessionId: id })).toBeNull();
      }
    });

    it('disabling a user ends their sessions', async () => {
      const { db, clock, user, address } = await signedIn();
      const { sessionId } = await createSession({ db, clock, userId: user.id });
      await disableUser({ db, clock, email: address });
      expect(await getSessionUser({ db, clock, sessionId })).toBeNull();
      expect(await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
    });
  });
});
