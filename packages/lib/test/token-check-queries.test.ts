// The request check refuses a malformed token or a wrong checksum before any database work.
import { expect, it } from 'vitest';
import type { Db } from '../src/db/create-database';
import { engineOf } from '../src/db/database-engine';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { describeEachDatabase } from '../src/testing/index';
import { BASE62, generateApiToken, tokenChecksum } from '../src/universal/token-format';
import { expectAppError, getApiTokenByToken, insertUser, watchDatabaseCalls } from './helpers';

/** Tokens that must be refused on their shape alone. */
function malformedTokens(valid: string): Array<[string, unknown]> {
  const random = valid.slice(4, 34);
  const checksum = valid.slice(34);
  const otherChar = (c: string) => (c === 'A' ? 'B' : 'A');
  const wrongChecksum = `api_${random}${checksum.slice(0, 5)}${otherChar(checksum[5]!)}`;
  const changedRandom = `api_${otherChar(random[0]!)}${random.slice(1)}${checksum}`;
  // A checksum that is right for a different random part.
  const foreignChecksum = `api_${random}${tokenChecksum('x'.repeat(30))}`;
  return [
    ['the empty string', ''],
    ['the prefix alone', 'api_'],
    ['a short token', valid.slice(0, 39)],
    ['a long token', `${valid}A`],
    ['an upper-case prefix', `API_${valid.slice(4)}`],
    ['another prefix', `key_${valid.slice(4)}`],
    ['a character outside base62', `${valid.slice(0, 10)}-${valid.slice(11)}`],
    ['surrounding spaces', ` ${valid} `],
    ['a wrong checksum', wrongChecksum],
    ['a changed random part', changedRandom],
    ['a checksum of another random part', foreignChecksum],
    ['a Bearer header instead of the token', `Bearer ${valid}`],
    ['a number', 12345],
    ['undefined', undefined],
    ['null', null],
  ];
}

describeEachDatabase('the verifier: no database work for malformed tokens', (getDatabase) => {
  it('the call watcher does see the lookup of a well-formed token (known or unknown)', async () => {
    const { db, kind } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Watched token' });

    // A well-formed token nobody issued: the check must look it up, and the watcher must see that.
    // (A second check of the known token would be answered from the cache.)
    const unknown = generateApiToken();
    for (const token of [created.token, unknown, unknown]) {
      const watcher = watchDatabaseCalls(db);
      try {
        if (token === unknown)
          await expectAppError(getApiTokenByToken({ db, clock, token }), 'UNAUTHORIZED', 'Invalid token');
        else expect((await getApiTokenByToken({ db, clock, token })).id).toBe(created.id);
      } finally {
        watcher.stop();
      }
      expect(watcher.calls.length).toBeGreaterThan(0);
      expect(watcher.calls.some((call) => /from "?api_tokens"?/i.test(call.sql))).toBe(true);
      if (kind === 'sqlite') {
        // On a SQLite file the check reads through its own connection with a cached statement.
        expect(engineOf(db)?.reader).toBeDefined();
        expect(watcher.calls.some((call) => call.via.startsWith('sqlite.statement'))).toBe(true);
      } else {
        expect(watcher.calls.some((call) => call.via === 'pg.query')).toBe(true);
      }
    }
  });

  it('refuses malformed tokens and wrong checksums (no token: "not provided") with no database call', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Template token' });
    // Warm the cached reader statement first, so a later lookup would show up as a statement run.
    await getApiTokenByToken({ db, clock, token: created.token });

    for (const [what, token] of malformedTokens(created.token)) {
      const watcher = watchDatabaseCalls(db);
      try {
        await expectAppError(
          getApiTokenByToken({ db, clock, token: token as string }),
          'UNAUTHORIZED',
          token === undefined || token === null ? 'API token was not provided' : 'Invalid token',
        );
      } finally {
        watcher.stop();
      }
      expect(watcher.calls, what).toEqual([]);
    }
  });

  it('never touches a database object for a malformed token, while a well-formed one reaches it', async () => {
    const clock = new ManualClock();
    const touched: string[] = [];
    const trap = new Proxy({} as Db, {
      get(_target, property) {
        touched.push(String(property));
        throw new Error(`database touched: ${String(property)}`);
      },
    });

    // Positive control: a well-formed token does go to the database.
    await expect(getApiTokenByToken({ db: trap, clock, token: generateApiToken() })).rejects.toThrow(
      /database touched/,
    );
    expect(touched.length).toBeGreaterThan(0);
    touched.length = 0;

    const valid = generateApiToken();
    for (const [what, token] of malformedTokens(valid)) {
      await expectAppError(
        getApiTokenByToken({ db: trap, clock, token: token as string }),
        'UNAUTHORIZED',
        token === undefined || token === null ? 'API token was not provided' : 'Invalid token',
      );
      expect(touched, what).toEqual([]);
    }
    // Every other base62 character in the last checksum position is refused the same way.
    for (const c of BASE62) {
      if (c === valid[39]) continue;
      await expectAppError(
        getApiTokenByToken({ db: trap, clock, token: valid.slice(0, 39) + c }),
        'UNAUTHORIZED',
        'Invalid token',
      );
    }
    expect(touched).toEqual([]);
  });
});
