// Scopes: a token holds all known scopes unless told otherwise, only known ones, and a token that
// makes or rotates tokens cannot hand out more than it has.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { describeEachDatabase } from '../src/testing/index';
import {
  BUILTIN_SCOPE_DESCRIPTIONS,
  BUILTIN_SCOPE_SET,
  BUILTIN_SCOPES,
  createScopeSet,
  MAX_KNOWN_SCOPES,
} from '../src/universal/scopes';
import { countRows, DAY_MS, expectAppError, getApiTokenByToken, insertUser, makeTeam } from './helpers';

const START = Date.UTC(2026, 6, 1);

describe('createScopeSet: the scopes a deployment knows', () => {
  it('gives the built-in scopes first, then the product’s own in the order declared, each described if told', () => {
    expect(createScopeSet()).toEqual({ names: [...BUILTIN_SCOPES], descriptions: BUILTIN_SCOPE_DESCRIPTIONS });
    expect(BUILTIN_SCOPE_SET).toEqual(createScopeSet());
    const set = createScopeSet(['invoices:read', 'documents:write', 'reports'], {
      'invoices:read': '  Read invoices and their lines ',
      reports: 'Run reports',
    });
    expect(set.names).toEqual([...BUILTIN_SCOPES, 'invoices:read', 'documents:write', 'reports']);
    expect(set.descriptions).toEqual({
      ...BUILTIN_SCOPE_DESCRIPTIONS,
      'invoices:read': 'Read invoices and their lines',
      reports: 'Run reports',
    });
  });

  it('describes every built-in scope, saying that usage is read with tokens:read, not audit:read', () => {
    for (const scope of BUILTIN_SCOPES) expect(BUILTIN_SCOPE_DESCRIPTIONS[scope]).toMatch(/^[A-Z].{5,}/);
    expect(BUILTIN_SCOPE_DESCRIPTIONS['tokens:read']).toMatch(/usage/);
    expect(BUILTIN_SCOPE_DESCRIPTIONS['audit:read']).not.toMatch(/usage/);
  });

  it.each([['Invoices Read'], [''], ['invoices:'], ['a:b:c:d:e'], ['1invoices'], [`a${'b'.repeat(40)}`]])(
    'refuses %j, naming it, instead of letting tokens hold a scope no request can name',
    (scope) => {
      expect(() => createScopeSet(['invoices:read', scope])).toThrow(
        `${JSON.stringify(scope)} is not a scope name: lowercase words separated by ":"`,
      );
    },
  );

  it('refuses a scope given twice, and a built-in one, naming it', () => {
    expect(() => createScopeSet(['invoices:read', 'reports', 'invoices:read'])).toThrow(
      '"invoices:read" is given twice',
    );
    expect(() => createScopeSet(['invoices:read', 'tokens:read'])).toThrow(
      '"tokens:read" is a built-in scope; the product\'s own scopes need names of their own',
    );
  });

  it(`refuses more than ${MAX_KNOWN_SCOPES} scopes in all, which no token or policy could list`, () => {
    const room = MAX_KNOWN_SCOPES - BUILTIN_SCOPES.length;
    const names = Array.from({ length: room + 1 }, (_, i) => `scope${i}`);
    expect(createScopeSet(names.slice(0, room)).names).toHaveLength(MAX_KNOWN_SCOPES);
    expect(() => createScopeSet(names)).toThrow(`${room + 1} scopes are too many: at most ${room}`);
  });

  it.each([
    [
      'a scope not declared',
      { 'invoice:read': 'Typo' },
      'there is a description of "invoice:read", which is not a declared scope (declared: invoices:read)',
    ],
    [
      'a built-in scope',
      { 'tokens:read': 'Mine' },
      'there is a description of "tokens:read", which is a built-in scope, described already',
    ],
    ['a number', { 'invoices:read': 42 }, 'the description of "invoices:read" must be a string, not number'],
    ['null', { 'invoices:read': null }, 'the description of "invoices:read" must be a string, not null'],
    ['a list', { 'invoices:read': ['a'] }, 'the description of "invoices:read" must be a string, not a list'],
    ['blanks', { 'invoices:read': '  ' }, 'the description of "invoices:read" is empty'],
    ['two lines', { 'invoices:read': 'Read\ninvoices' }, 'must be one line without control or invisible'],
    ['a long text', { 'invoices:read': 'x'.repeat(201) }, 'is 201 characters long; at most 200'],
  ])('refuses a description of %s, naming the scope', (_what, descriptions, message) => {
    expect(() => createScopeSet(['invoices:read'], descriptions)).toThrow(message);
  });
});

describeEachDatabase('token scopes', (getDatabase) => {
  describe('choosing scopes', () => {
    it('a token made without scopes holds every built-in scope: tokens:read and tokens:write', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const created = await createApiToken({ db, clock, userId: user.id, name: 'Default scopes' });
      expect(BUILTIN_SCOPES).toEqual(['tokens:read', 'tokens:write', 'audit:read']);
      expect(created.scopes).toEqual(['tokens:read', 'tokens:write', 'audit:read']);
      expect((await getApiTokenByToken({ db, clock, token: created.token })).scopes).toEqual([
        'tokens:read',
        'tokens:write',
        'audit:read',
      ]);
    });

    it('with a host application’s scopes, the default is all of them', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const allowedScopes = [...BUILTIN_SCOPES, 'invoices:read'];
      const created = await createApiToken({ db, clock, userId: user.id, name: 'Host scopes', allowedScopes });
      expect(created.scopes).toEqual(allowedScopes);
      const narrow = await createApiToken({
        db,
        clock,
        userId: user.id,
        name: 'Invoices only',
        allowedScopes,
        scopes: ['invoices:read'],
      });
      expect((await getApiTokenById({ db, clock, userId: user.id, id: narrow.id })).scopes).toEqual(['invoices:read']);
    });

    it('a chosen subset is stored as given, with duplicates dropped', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const created = await createApiToken({
        db,
        clock,
        userId: user.id,
        name: 'Read only',
        scopes: ['tokens:read', 'tokens:read'],
      });
      expect(created.scopes).toEqual(['tokens:read']);
      expect((await getApiTokenByToken({ db, clock, token: created.token })).scopes).toEqual(['tokens:read']);
    });

    it.each([
      ['an unknown scope', ['tokens:read', 'admin:all'], /Unknown scope: admin:all/],
      ['a host scope this deployment does not know', ['invoices:read'], /Unknown scope: invoices:read/],
      ['a scope that is not a scope name', ['Tokens Read'], /Scope must look like/],
      ['no scope at all', [], /at least one scope/],
    ])('%s is refused with INVALID_BODY, and nothing is created', async (_what, scopes, message) => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const before = await countRows(db, 'api_tokens');
      const error = await expectAppError(
        createApiToken({ db, clock, userId: user.id, name: 'Bad scopes', scopes }),
        'INVALID_BODY',
        message,
      );
      expect(error.issues?.[0]?.path).toMatch(/^scopes/);
      expect(await countRows(db, 'api_tokens')).toBe(before);
    });
  });

  describe('through a token (viaToken)', () => {
    async function parentToken(options: { expiresIn?: string; scopes?: string[]; team?: boolean } = {}) {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const team = options.team ? await makeTeam(db, clock, user) : null;
      const created = await createApiToken({
        db,
        clock,
        userId: user.id,
        teamId: team?.id ?? null,
        name: 'Parent token',
        expiresIn: options.expiresIn ?? 'ONE_MONTH',
        ...(options.scopes ? { scopes: options.scopes } : {}),
      });
      const viaToken = await getApiTokenByToken({ db, clock, token: created.token });
      return { db, clock, user, team, created, viaToken };
    }

    it('creates a token for the same owner with fewer scopes and an earlier expiry', async () => {
      const { db, clock, user, viaToken } = await parentToken();
      const child = await createApiToken({
        db,
        clock,
        viaToken,
        name: 'Child token',
        scopes: ['tokens:read'],
        expiresIn: 'SEVEN_DAYS',
      });
      expect(child.scopes).toEqual(['tokens:read']);
      expect(child.createdBy).toEqual({ id: user.id, name: user.name });
      expect((await getApiTokenByToken({ db, clock, token: child.token })).owner).toEqual({
        kind: 'user',
        userId: user.id,
      });
      expect((await getApiTokens({ db, clock, userId: user.id })).tokens.map((t) => t.id)).toContain(child.id);
    });

    it('a child made without scopes gets the parent’s scopes, not every known scope', async () => {
      const { db, clock, viaToken } = await parentToken({ scopes: ['tokens:write'] });
      const child = await createApiToken({ db, clock, viaToken, name: 'Inheriting child', expiresIn: 'SEVEN_DAYS' });
      expect(child.scopes).toEqual(['tokens:write']);
    });

    it('a child made without scopes leaves out a parent’s scope this deployment no longer knows', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const withInvoices = [...BUILTIN_SCOPES, 'invoices:read'];
      const parent = await createApiToken({
        db,
        clock,
        userId: user.id,
        name: 'Made with invoices',
        allowedScopes: withInvoices,
        scopes: ['tokens:write', 'invoices:read'],
      });
      const viaToken = await getApiTokenByToken({ db, clock, token: parent.token });
      // The operator dropped invoices:read from TOKEN_SCOPES: the parent keeps it, a child does not get it.
      const child = await createApiToken({ db, clock, viaToken, name: 'Child after the change' });
      expect(child.scopes).toEqual(['tokens:write']);

      const onlyDropped = await createApiToken({
        db,
        clock,
        userId: user.id,
        name: 'Invoices only',
        allowedScopes: withInvoices,
        scopes: ['invoices:read', 'tokens:write'],
      });
      const narrowParent = await getApiTokenByToken({ db, clock, token: onlyDropped.token });
      const before = await countRows(db, 'api_tokens');
      await expectAppError(
        createApiToken({ db, clock, viaToken: narrowParent, name: 'Nothing left', allowedScopes: ['tokens:read'] }),
        'INVALID_BODY',
        /No scope is left to give this token by default/,
      );
      expect(await countRows(db, 'api_tokens')).toBe(before);
    });

    it('a child may expire exactly when its parent does', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'ONE_MONTH' });
      const child = await createApiToken({ db, clock, viaToken, name: 'Same lifetime', expiresIn: 'ONE_MONTH' });
      expect(child.expiresAt).toEqual(new Date(START + 30 * DAY_MS));
    });

    it('cannot create a token with a scope it does not have (FORBIDDEN), and nothing is created', async () => {
      const { db, clock, viaToken } = await parentToken({ scopes: ['tokens:write'] });
      const before = await countRows(db, 'api_tokens');
      await expectAppError(
        createApiToken({
          db,
          clock,
          viaToken,
          name: 'Greedy child',
          scopes: ['tokens:read', 'tokens:write'],
          expiresIn: 'SEVEN_DAYS',
        }),
        'FORBIDDEN',
        /cannot grant scopes it does not have: tokens:read/,
      );
      expect(await countRows(db, 'api_tokens')).toBe(before);
    });

    it.each([['ONE_YEAR'], ['THREE_MONTHS'], ['NEVER']])(
      'cannot create a token that outlives it (expiresIn %s is FORBIDDEN)',
      async (expiresIn) => {
        const { db, clock, viaToken } = await parentToken({ expiresIn: 'ONE_MONTH' });
        const before = await countRows(db, 'api_tokens');
        const child = createApiToken({ db, clock, viaToken, name: 'Long child', expiresIn });
        await expectAppError(child, 'FORBIDDEN', /outlives/);
        expect(await countRows(db, 'api_tokens')).toBe(before);
      },
    );

    it('with expiresIn omitted, an expiring token makes a child that lives as long as allowed', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'ONE_MONTH' });
      clock.advance(25 * DAY_MS);
      const child = await createApiToken({ db, clock, viaToken, name: 'Default child' });
      expect(child.expiresAt).toEqual(new Date(START + 30 * DAY_MS));
      expect(child.status).toBe('active');
      clock.set(START + 30 * DAY_MS - 1);
      expect((await getApiTokenByToken({ db, clock, token: child.token })).id).toBe(child.id);
      clock.set(START + 30 * DAY_MS);
      await expectAppError(getApiTokenByToken({ db, clock, token: child.token }), 'UNAUTHORIZED', 'Expired token');
    });

    it('a parent close to its expiry cannot create a child whose fixed lifetime reaches past it', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'ONE_MONTH' });
      clock.advance(25 * DAY_MS);
      await expectAppError(
        createApiToken({ db, clock, viaToken, name: 'Late child', expiresIn: 'SEVEN_DAYS' }),
        'FORBIDDEN',
      );
    });

    it('a token that never expires may create tokens of any lifetime', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'NEVER' });
      expect((await createApiToken({ db, clock, viaToken, name: 'Forever child' })).expiresAt).toBeNull();
      expect(
        (await createApiToken({ db, clock, viaToken, name: 'Year child', expiresIn: 'ONE_YEAR' })).expiresAt,
      ).toEqual(new Date(START + 365 * DAY_MS));
    });

    it('a team token creates team tokens for its team', async () => {
      const { db, clock, user, team, viaToken } = await parentToken({ team: true });
      const child = await createApiToken({ db, clock, viaToken, name: 'Team child', expiresIn: 'SEVEN_DAYS' });
      expect((await getApiTokenByToken({ db, clock, token: child.token })).owner).toEqual({
        kind: 'team',
        teamId: team!.id,
      });
      expect((await getApiTokens({ db, clock, userId: user.id, teamId: team!.id })).tokens.map((t) => t.id)).toContain(
        child.id,
      );
      expect((await getApiTokens({ db, clock, userId: user.id })).tokens).toEqual([]);
    });

    it('can rotate itself: the new token keeps its scopes and lifetime length, the old one stops', async () => {
      const { db, clock, created, viaToken } = await parentToken({
        expiresIn: 'ONE_MONTH',
        scopes: ['tokens:read', 'tokens:write'],
      });
      clock.advance(DAY_MS);
      const rotated = await rotateApiToken({ db, clock, viaToken, id: viaToken.id });
      expect(rotated.scopes).toEqual(['tokens:read', 'tokens:write']);
      expect(rotated.expiresAt).toEqual(new Date(START + DAY_MS + 30 * DAY_MS));
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect((await getApiTokenByToken({ db, clock, token: rotated.token })).id).toBe(rotated.id);
    });

    it('cannot rotate a sibling token that holds scopes it lacks (FORBIDDEN)', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const broad = await createApiToken({ db, clock, userId: user.id, name: 'Broad token', expiresIn: 'SEVEN_DAYS' });
      const narrow = await createApiToken({
        db,
        clock,
        userId: user.id,
        name: 'Narrow token',
        expiresIn: 'ONE_MONTH',
        scopes: ['tokens:write'],
      });
      const viaToken = await getApiTokenByToken({ db, clock, token: narrow.token });

      await expectAppError(rotateApiToken({ db, clock, viaToken, id: broad.id }), 'FORBIDDEN');
      expect((await getApiTokenByToken({ db, clock, token: broad.token })).id).toBe(broad.id);
    });

    it.each([
      ['the same lifetime length, near its end', 'ONE_MONTH', 25],
      ['a longer lifetime', 'ONE_YEAR', 0],
      ['no expiry', 'NEVER', 3],
    ])(
      'rotating a sibling of %s gives a token that expires when the rotating token does, not later',
      async (_what, siblingExpiresIn, daysLater) => {
        const { db } = getDatabase();
        const clock = new ManualClock(START);
        const user = await insertUser(db, clock);
        const rotating = await createApiToken({ db, clock, userId: user.id, name: 'Rotator', expiresIn: 'ONE_MONTH' });
        const sibling = await createApiToken({
          db,
          clock,
          userId: user.id,
          name: 'Sibling',
          expiresIn: siblingExpiresIn,
        });
        clock.advance(daysLater * DAY_MS);
        const viaToken = await getApiTokenByToken({ db, clock, token: rotating.token });
        const rotated = await rotateApiToken({ db, clock, viaToken, id: sibling.id });
        expect(rotated.expiresAt).toEqual(new Date(START + 30 * DAY_MS));
        expect((await getApiTokenById({ db, clock, userId: user.id, id: rotated.id })).expiresAt).toEqual(
          new Date(START + 30 * DAY_MS),
        );
        clock.set(START + 30 * DAY_MS);
        await expectAppError(getApiTokenByToken({ db, clock, token: rotated.token }), 'UNAUTHORIZED', 'Expired token');
      },
    );

    it('rotating a sibling that expires sooner keeps its lifetime length', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const rotating = await createApiToken({ db, clock, userId: user.id, name: 'Rotator', expiresIn: 'ONE_YEAR' });
      const sibling = await createApiToken({ db, clock, userId: user.id, name: 'Sibling', expiresIn: 'SEVEN_DAYS' });
      clock.advance(DAY_MS);
      const viaToken = await getApiTokenByToken({ db, clock, token: rotating.token });
      const rotated = await rotateApiToken({ db, clock, viaToken, id: sibling.id });
      expect(rotated.expiresAt).toEqual(new Date(START + DAY_MS + 7 * DAY_MS));
    });

    it('rotating itself near its end still gives the same lifetime length again', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'ONE_MONTH' });
      clock.advance(29 * DAY_MS);
      const rotated = await rotateApiToken({ db, clock, viaToken, id: viaToken.id });
      expect(rotated.expiresAt).toEqual(new Date(START + 29 * DAY_MS + 30 * DAY_MS));
    });

    it('cannot reach another owner’s tokens (NOT_FOUND), and the token stays', async () => {
      const { db, clock, viaToken } = await parentToken({ expiresIn: 'NEVER' });
      const stranger = await insertUser(db, clock);
      const theirs = await createApiToken({ db, clock, userId: stranger.id, name: 'Stranger token' });

      await expectAppError(getApiTokenById({ db, clock, viaToken, id: theirs.id }), 'NOT_FOUND');
      await expectAppError(deleteApiTokenById({ clock, db, viaToken, id: theirs.id }), 'NOT_FOUND');
      await expectAppError(rotateApiToken({ db, clock, viaToken, id: theirs.id }), 'NOT_FOUND');
      expect((await getApiTokens({ db, clock, viaToken })).tokens.map((t) => t.id)).not.toContain(theirs.id);
      expect((await getApiTokenByToken({ db, clock, token: theirs.token })).id).toBe(theirs.id);
    });
  });
});
