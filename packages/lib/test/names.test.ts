// Token names: trimmed, 3 to 100 characters, no control or invisible characters.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { describeEachDatabase } from '../src/testing/index';
import { countRows, expectAppError, getApiTokenByToken, insertUser } from './helpers';

const REFUSED: Array<[string, unknown, RegExp]> = [
  ['2 characters', 'ab', /at least 3 characters/],
  ['2 characters once trimmed', '   ab   ', /at least 3 characters/],
  ['only spaces', '      ', /at least 3 characters/],
  ['empty', '', /at least 3 characters/],
  ['101 characters', 'x'.repeat(101), /at most 100 characters/],
  ['2 emoji (4 UTF-16 code units, but 2 characters)', '🔑🔑', /at least 3 characters/],
  ['101 emoji', '🔑'.repeat(101), /at most 100 characters/],
  ['a NUL character (\\u0000)', 'My\u0000token', /control or invisible/],
  ['a newline (\\n)', 'My\ntoken', /control or invisible/],
  ['a bell (\\u0007)', 'My\u0007token', /control or invisible/],
  ['a tab inside (\\t)', 'My\ttoken', /control or invisible/],
  ['a DEL (\\u007F)', 'My\u007Ftoken', /control or invisible/],
  ['a zero-width space (\\u200B)', 'My\u200Btoken', /control or invisible/],
  ['a zero-width joiner (\\u200D)', 'My\u200Dtoken', /control or invisible/],
  ['a byte order mark (\\uFEFF)', 'My\uFEFFtoken', /control or invisible/],
  ['a right-to-left override (\\u202E)', 'My\u202Etoken', /control or invisible/],
  ['a line separator (\\u2028)', 'My\u2028token', /control or invisible/],
  ['a paragraph separator (\\u2029)', 'My\u2029token', /control or invisible/],
  ['a leading byte order mark, which trim() would drop (\\uFEFF)', '\uFEFFMy token', /control or invisible/],
  ['a trailing line separator, which trim() would drop (\\u2028)', 'My token\u2028', /control or invisible/],
  ['a trailing paragraph separator, which trim() would drop (\\u2029)', 'My token\u2029', /control or invisible/],
  ['a number', 12345, /Name must be text/],
  ['null', null, /Name must be text/],
];

const ACCEPTED: Array<[string, string, string]> = [
  ['exactly 3 characters', 'abc', 'abc'],
  ['exactly 100 characters', 'n'.repeat(100), 'n'.repeat(100)],
  ['100 characters once trimmed', `  ${'t'.repeat(100)}  `, 't'.repeat(100)],
  ['surrounding spaces, which are trimmed', '  My token  ', 'My token'],
  ['surrounding tabs and newlines, which are trimmed', '\t\nCI token\n', 'CI token'],
  ['an emoji', '🚀 Deploy key', '🚀 Deploy key'],
  ['100 emoji (200 UTF-16 code units)', '🔑'.repeat(100), '🔑'.repeat(100)],
  ['3 emoji', '🔑🚀🔒', '🔑🚀🔒'],
  ['accented letters', 'Clé d’accès – été', 'Clé d’accès – été'],
  ['a decomposed accent (combining mark)', 'Cafe\u0301 token', 'Cafe\u0301 token'],
  ['other scripts', '本番 ключ token', '本番 ключ token'],
  ['punctuation', 'prod/eu-west:#1 (read-only)', 'prod/eu-west:#1 (read-only)'],
];

describeEachDatabase('token names', (getDatabase) => {
  it.each(REFUSED)(
    'a name with %s is refused with INVALID_BODY on "name", and nothing is created',
    async (_what, name, message) => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const user = await insertUser(db, clock);
      const before = await countRows(db, 'api_tokens');

      const error = await expectAppError(
        createApiToken({ db, clock, userId: user.id, name: name as string }),
        'INVALID_BODY',
        message,
      );
      expect(error.issues).toEqual([
        expect.objectContaining({ path: 'name', message: expect.stringMatching(message) }),
      ]);
      expect(await countRows(db, 'api_tokens')).toBe(before);
    },
  );

  it.each(ACCEPTED)('a name with %s is accepted and stored as shown', async (_what, name, stored) => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);

    const created = await createApiToken({ db, clock, userId: user.id, name });
    expect(created.name).toBe(stored);
    expect((await getApiTokenById({ db, clock, userId: user.id, id: created.id })).name).toBe(stored);
    expect((await getApiTokenByToken({ db, clock, token: created.token })).name).toBe(stored);
    const row = await db.selectFrom('api_tokens').select('name').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.name).toBe(stored);
  });

  it('two tokens of one owner may share a name', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const first = await createApiToken({ db, clock, userId: user.id, name: 'Same name' });
    const second = await createApiToken({ db, clock, userId: user.id, name: 'Same name' });
    expect(second.id).not.toBe(first.id);
  });
});
