import ipaddr from 'ipaddr.js';
// Leak reports, team and instance token policies, and per-token address limits.
import { describe, expect, it } from 'vitest';
import { AppErrorCode } from '../src/errors/app-error';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { recordIpRefusal } from '../src/server-only/public-api/record-ip-refusal';
import { revokeLeakedApiTokens } from '../src/server-only/public-api/revoke-leaked-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { OPERATOR } from '../src/server-only/operator';
import { getTeamPolicy } from '../src/server-only/team/get-team-policy';
import { updateTeamPolicy } from '../src/server-only/team/update-team-policy';
import { describeEachDatabase } from '../src/testing/index';
import { ZAllowedIps } from '../src/types/schemas';
import { allowedIpMatcher, allowedIpsBeyond, normaliseAllowedIp } from '../src/universal/allowed-ips';
import { generateApiToken } from '../src/universal/token-format';
import { checkApiToken, DAY_MS, expectAppError, getApiTokenByToken, insertUser, makeTeam } from './helpers';

const START = Date.UTC(2026, 5, 1, 8, 0, 0);

describe('allowed addresses', () => {
  it('normalises addresses and ranges, IPv4-mapped IPv6 as IPv4', () => {
    expect(
      ZAllowedIps.parse(['10.1.2.3/8', ' 192.0.2.1 ', '2001:DB8::1/32', '::ffff:198.51.100.7', '192.0.2.1/32']),
    ).toEqual(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '198.51.100.7']);
    expect(ZAllowedIps.parse(['0.0.0.0/0', '::/0'])).toEqual(['0.0.0.0/0', '::/0']);
  });

  it.each([
    ['300.1.1.1', 'not an IP address'],
    ['10.0.0.0/33', 'not an IP address'],
    ['fe80::1%eth0', 'zone ids'],
    ['fe80::/10%1', 'zone ids'],
    ['example.com', 'not an IP address'],
    ['10.0.0.1/', 'not an IP address'],
    ['10.1', 'not an IP address'],
    ['', 'not an IP address'],
  ])('refuses %j, naming it', (entry, reason) => {
    const result = ZAllowedIps.safeParse(['192.0.2.1', entry]);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path).toEqual([1]);
    expect(issue.message).toContain(JSON.stringify(entry));
    expect(issue.message).toContain(reason);
  });

  it('refuses 51 entries and non-string entries', () => {
    const many = Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`);
    expect(ZAllowedIps.safeParse(many).error?.issues[0]?.message).toBe('A token may have at most 50 allowed addresses');
    expect(ZAllowedIps.safeParse(many.slice(0, 50)).success).toBe(true);
    expect(ZAllowedIps.safeParse([42]).success).toBe(false);
  });

  it('matches a client address against ranges of both families', () => {
    const allowed = allowedIpMatcher(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32']);
    expect(allowed('10.200.3.4')).toBe(true);
    expect(allowed('::ffff:10.200.3.4')).toBe(true);
    expect(allowed('192.0.2.1')).toBe(true);
    expect(allowed('192.0.2.2')).toBe(false);
    expect(allowed('2001:db8:ffff::1')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed(undefined)).toBe(false);
    expect(allowed('not an address')).toBe(false);
    // Asked again (the remembered answers) it says the same.
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed('10.200.3.4')).toBe(true);
    // The same address twice in a row (the last answer), then another one, then back.
    expect(allowed('10.200.3.4')).toBe(true);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed(undefined)).toBe(false);
    expect(allowed('2001:db8:ffff::1')).toBe(true);
    expect(allowed('2001:db8:ffff::1')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
  });

  it('agrees with ipaddr.js on random ranges of every prefix length and addresses in and near them', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const v4 = () => Array.from({ length: 4 }, () => random(256)).join('.');
    const v6 = () => Array.from({ length: 8 }, () => random(65536).toString(16)).join(':');
    // An address that keeps the first `keep` bits of `base` and randomises the rest.
    const near = (base: ipaddr.IPv4 | ipaddr.IPv6, keep: number) => {
      const bytes = base.toByteArray();
      for (let bit = keep; bit < bytes.length * 8; bit++) {
        if (random(2) === 1) bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
      }
      return ipaddr.fromByteArray(bytes).toString();
    };
    let compared = 0;
    let inside = 0;
    for (let round = 0; round < 300; round++) {
      const entries: string[] = [];
      for (let i = 0; i < 1 + random(4); i++) {
        const family = random(2) === 0 ? v4() : v6();
        const bits = 1 + random(family.includes(':') ? 128 : 32);
        const normal = normaliseAllowedIp(`${family}/${bits}`);
        if (!normal.ok) throw new Error(normal.reason);
        entries.push(normal.value);
      }
      const ranges = entries.map((entry) =>
        entry.includes('/') ? ipaddr.parseCIDR(entry) : ipaddr.parseCIDR(`${entry}/${entry.includes(':') ? 128 : 32}`),
      );
      const allowed = allowedIpMatcher(entries);
      for (let j = 0; j < 20; j++) {
        const [base, bits] = ranges[random(ranges.length)]!;
        const candidate =
          random(4) === 0
            ? random(2) === 0
              ? v4()
              : v6()
            : near(base, random(2) === 0 ? bits : Math.max(0, bits - 1 - random(2)));
        const address = ipaddr.parse(candidate);
        const expected = ranges.some((range) => address.kind() === range[0].kind() && address.match(range));
        expect(allowed(candidate), `${candidate} against ${entries.join(', ')}`).toBe(expected);
        compared++;
        if (expected) inside++;
      }
    }
    expect(compared).toBe(6000);
    // Both answers were asked for many times, so the comparison covers both.
    expect(inside).toBeGreaterThan(1000);
    expect(compared - inside).toBeGreaterThan(1000);
  });

  it('lets every address in for no entries, 0.0.0.0/0 or ::/0', () => {
    for (const entries of [[], ['0.0.0.0/0'], ['::/0']]) {
      const allowed = allowedIpMatcher(entries);
      expect(allowed('203.0.113.9')).toBe(true);
      expect(allowed('2001:db8::9')).toBe(true);
    }
  });

  it('keeps a range that normalisation already cleared', () => {
    expect(normaliseAllowedIp('10.0.0.0/8')).toEqual({ ok: true, value: '10.0.0.0/8' });
    expect(normaliseAllowedIp('::ffff:10.0.0.0/104')).toEqual({ ok: true, value: '10.0.0.0/8' });
  });

  it('names the entries of a list that reach beyond a limit; [] (any address) is the widest', () => {
    const limit = ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'];
    expect(allowedIpsBeyond(['10.1.0.0/16', '10.2.3.4', '192.0.2.7', '2001:db8:1::/48'], limit)).toEqual([]);
    expect(allowedIpsBeyond(['10.0.0.0/7', '192.0.2.0/24', '11.0.0.1', '2001:db9::1', '::/0'], limit)).toEqual([
      '10.0.0.0/7',
      '192.0.2.0/24',
      '11.0.0.1',
      '2001:db9::1',
      '::/0',
    ]);
    // An IPv4 limit holds no IPv6 address, whatever the bits say.
    expect(allowedIpsBeyond(['::a00:1'], ['10.0.0.0/8'])).toEqual(['::a00:1']);
    expect(allowedIpsBeyond([], limit)).toEqual(['any address']);
    expect(allowedIpsBeyond(['0.0.0.0/0'], limit)).toEqual(['0.0.0.0/0']);
    // Under no limit, or a limit that lets every address in, every list fits.
    for (const open of [[], ['0.0.0.0/0'], ['::/0']]) {
      expect(allowedIpsBeyond([], open)).toEqual([]);
      expect(allowedIpsBeyond(['2001:db8::/32', '0.0.0.0/0'], open)).toEqual([]);
    }
  });
});

describeEachDatabase('address limits on tokens', (getDatabase) => {
  it('stores allowedIps, shows them everywhere, keeps them on rotation and gives the check a matcher', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({
      db,
      clock,
      userId: user.id,
      name: 'Limited',
      allowedIps: ['10.0.0.1/8', '2001:db8::1'],
    });
    expect(created.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::1']);
    const listed = (await getApiTokens({ db, clock, userId: user.id })).tokens[0]!;
    expect(listed.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::1']);

    const check = await checkApiToken({ db, clock, token: created.token });
    if (!check.ok) throw new Error('token refused');
    expect(check.token.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::1']);
    expect(check.token.isAllowedIp('10.9.9.9')).toBe(true);
    expect(check.token.isAllowedIp('192.0.2.1')).toBe(false);

    const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id });
    expect(rotated.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::1']);
    const unlimited = await createApiToken({ db, clock, userId: user.id, name: 'Anywhere' });
    expect(unlimited.allowedIps).toEqual([]);
  });

  it('refuses a bad entry with a 400 naming it, and stores nothing', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const error = await expectAppError(
      createApiToken({ db, clock, userId: user.id, name: 'Bad', allowedIps: ['10.0.0.0/33'] }),
      AppErrorCode.INVALID_BODY,
    );
    expect(JSON.stringify(error.issues)).toContain('10.0.0.0/33');
    expect((await getApiTokens({ db, clock, userId: user.id })).tokens).toEqual([]);
  });

  describe('through a token: never wider addresses than the token has', () => {
    async function limitedToken(allowedIps: string[]) {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const parent = await createApiToken({ db, clock, userId: user.id, name: 'Parent', allowedIps });
      const viaToken = await getApiTokenByToken({ db, clock, token: parent.token });
      return { db, clock, user, parent, viaToken };
    }

    it('a child made without allowedIps inherits the parent’s list', async () => {
      const { db, clock, viaToken } = await limitedToken(['127.0.0.1', '10.0.0.0/8']);
      const child = await createApiToken({ db, clock, viaToken, name: 'Child' });
      expect(child.allowedIps).toEqual(['127.0.0.1', '10.0.0.0/8']);
      const check = await getApiTokenByToken({ db, clock, token: child.token });
      expect(check.isAllowedIp('192.0.2.1')).toBe(false);
      expect(check.isAllowedIp('10.1.2.3')).toBe(true);
    });

    it('a child may narrow the list', async () => {
      const { db, clock, viaToken } = await limitedToken(['10.0.0.0/8']);
      const child = await createApiToken({ db, clock, viaToken, name: 'Child', allowedIps: ['10.1.0.0/16'] });
      expect(child.allowedIps).toEqual(['10.1.0.0/16']);
    });

    it.each([
      ['[] (any address)', [], /any address/],
      ['a wider range', ['10.0.0.0/8'], /10\.0\.0\.0\/8/],
      ['another address', ['127.0.0.1', '192.0.2.1'], /192\.0\.2\.1/],
    ])('a child with %s is FORBIDDEN, naming what reaches beyond, and nothing is created', async (_, ips, named) => {
      const { db, clock, user, viaToken } = await limitedToken(['127.0.0.1', '10.1.0.0/16']);
      const error = await expectAppError(
        createApiToken({ db, clock, viaToken, name: 'Wider child', allowedIps: ips }),
        AppErrorCode.FORBIDDEN,
        /cannot give a token addresses it may not be used from/,
      );
      expect(error.message).toMatch(named);
      expect((await getApiTokens({ db, clock, userId: user.id })).tokens).toHaveLength(1);
    });

    it('a token without a limit may give any list', async () => {
      const { db, clock, viaToken } = await limitedToken([]);
      expect((await createApiToken({ db, clock, viaToken, name: 'Open child' })).allowedIps).toEqual([]);
      const narrow = await createApiToken({ db, clock, viaToken, name: 'Narrow child', allowedIps: ['10.0.0.1'] });
      expect(narrow.allowedIps).toEqual(['10.0.0.1']);
    });

    it('may rotate itself and siblings within its addresses, not a sibling with wider ones (FORBIDDEN)', async () => {
      const { db, clock, user, parent, viaToken } = await limitedToken(['10.0.0.0/8']);
      const inside = await createApiToken({ db, clock, userId: user.id, name: 'Inside', allowedIps: ['10.9.0.0/16'] });
      const anywhere = await createApiToken({ db, clock, userId: user.id, name: 'Anywhere' });
      const elsewhere = await createApiToken({ db, clock, userId: user.id, name: 'Else', allowedIps: ['192.0.2.1'] });
      for (const sibling of [anywhere, elsewhere]) {
        await expectAppError(
          rotateApiToken({ db, clock, viaToken, id: sibling.id }),
          AppErrorCode.FORBIDDEN,
          /cannot rotate a token that may be used from addresses it may not/,
        );
        // Untouched: still the one live token of that name.
        expect((await getApiTokenByToken({ db, clock, token: sibling.token })).id).toBe(sibling.id);
      }
      expect((await rotateApiToken({ db, clock, viaToken, id: inside.id })).allowedIps).toEqual(['10.9.0.0/16']);
      expect((await rotateApiToken({ db, clock, viaToken, id: parent.id })).allowedIps).toEqual(['10.0.0.0/8']);
    });
  });

  it('records a refusal at most once a minute per token', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Limited', allowedIps: ['10.0.0.0/8'] });
    const token = { id: created.id, name: created.name, owner: { kind: 'user' as const, userId: user.id } };
    expect(await recordIpRefusal({ db, clock, token, ip: '192.0.2.1' })).toBe(true);
    clock.advance(30_000);
    expect(await recordIpRefusal({ db, clock, token, ip: '192.0.2.1' })).toBe(false);
    clock.advance(30_000);
    expect(await recordIpRefusal({ db, clock, token, ip: '192.0.2.2' })).toBe(true);
    const events = await getAuditEvents({ db, userId: user.id, type: 'token.ip_refused' });
    expect(events.events.map((e) => e.ip)).toEqual(['192.0.2.2', '192.0.2.1']);
  });
});

describeEachDatabase('team and instance token policies', (getDatabase) => {
  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const admin = await insertUser(db, clock);
    const manager = await insertUser(db, clock);
    const member = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin, [
      [manager, 'MANAGER'],
      [member, 'MEMBER'],
    ]);
    return { db, clock, admin, manager, member, team };
  }

  it('lets an ADMIN set the policy, members read it, and refuses a MANAGER and outsiders', async () => {
    const { db, clock, admin, manager, member, team } = await setup();
    expect(await getTeamPolicy({ db, userId: member.id, teamId: team.id })).toEqual({
      maxLifetimeDays: null,
      allowedScopes: null,
    });
    await expectAppError(
      updateTeamPolicy({ db, clock, userId: manager.id, teamId: team.id, maxLifetimeDays: 30 }),
      AppErrorCode.FORBIDDEN,
    );
    const outsider = await insertUser(db, clock);
    await expectAppError(getTeamPolicy({ db, userId: outsider.id, teamId: team.id }), AppErrorCode.NOT_FOUND);
    const updated = await updateTeamPolicy({
      db,
      clock,
      userId: admin.id,
      teamId: team.id,
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read'],
    });
    expect(updated).toEqual({ maxLifetimeDays: 30, allowedScopes: ['tokens:read'] });
    expect(await getTeamPolicy({ db, userId: member.id, teamId: team.id })).toEqual(updated);
    // Absent fields stay; null lifts a limit.
    expect(await updateTeamPolicy({ db, clock, userId: admin.id, teamId: team.id, allowedScopes: null })).toEqual({
      maxLifetimeDays: 30,
      allowedScopes: null,
    });
    const events = await getAuditEvents({ db, userId: admin.id, teamId: team.id, type: 'team.policy_updated' });
    expect(events.events).toHaveLength(2);
    expect(events.events[1]!.details).toMatchObject({ after: { maxLifetimeDays: 30, allowedScopes: ['tokens:read'] } });
  });

  it.each([0, 366, 1.5, -1])('refuses maxLifetimeDays %s', async (days) => {
    const { db, clock, admin, team } = await setup();
    const error = await expectAppError(
      updateTeamPolicy({ db, clock, userId: admin.id, teamId: team.id, maxLifetimeDays: days }),
      AppErrorCode.INVALID_BODY,
    );
    expect(error.issues?.[0]?.path).toBe('maxLifetimeDays');
  });

  it('refuses unknown or no allowed scopes', async () => {
    const { db, clock, admin, team } = await setup();
    await expectAppError(
      updateTeamPolicy({ db, clock, userId: admin.id, teamId: team.id, allowedScopes: ['billing:write'] }),
      AppErrorCode.INVALID_BODY,
      /Unknown scope: billing:write/,
    );
    await expectAppError(
      updateTeamPolicy({ db, clock, userId: admin.id, teamId: team.id, allowedScopes: [] }),
      AppErrorCode.INVALID_BODY,
      /at least one scope/,
    );
  });

  it('lets the operator (the command line) set the policy, recorded with the cli actor', async () => {
    const { db, clock, admin, member, team } = await setup();
    const updated = await updateTeamPolicy({
      db,
      clock,
      actor: OPERATOR,
      teamId: team.id,
      maxLifetimeDays: 90,
      allowedScopes: ['tokens:read', 'audit:read'],
    });
    expect(updated).toEqual({ maxLifetimeDays: 90, allowedScopes: ['tokens:read', 'audit:read'] });
    expect(await getTeamPolicy({ db, userId: member.id, teamId: team.id })).toEqual(updated);
    await expectAppError(
      createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Long', expiresIn: 'SIX_MONTHS' }),
      AppErrorCode.INVALID_BODY,
      /at most 90 days/,
    );
    // Lifting both limits is one call too; each change is its own event, named for the command line.
    expect(
      await updateTeamPolicy({
        db,
        clock,
        actor: OPERATOR,
        teamId: team.id,
        maxLifetimeDays: null,
        allowedScopes: null,
      }),
    ).toEqual({ maxLifetimeDays: null, allowedScopes: null });
    const { events } = await getAuditEvents({ db, userId: admin.id, teamId: team.id, type: 'team.policy_updated' });
    expect(events).toHaveLength(2);
    for (const event of events) expect(event.actor).toEqual({ kind: 'cli', id: null, name: null });
    expect(events[1]!.details).toEqual({
      before: { maxLifetimeDays: null, allowedScopes: null },
      after: { maxLifetimeDays: 90, allowedScopes: ['tokens:read', 'audit:read'] },
    });
    expect(events[0]!.details).toEqual({ before: updated, after: { maxLifetimeDays: null, allowedScopes: null } });
  });

  it.each([
    [{ maxLifetimeDays: 0 }, /at least 1 day/],
    [{ maxLifetimeDays: 366 }, /at most 365 days/],
    [{ allowedScopes: ['tokens:read', 'billing:write'] }, /Unknown scope: billing:write/],
    [{ allowedScopes: [] }, /at least one scope/],
    [{ maxLifetimeDays: 30, allowedScopes: ['nope'] }, /Unknown scope: nope/],
  ])('refuses the operator a bad policy %j and changes nothing', async (change, message) => {
    const { db, clock, admin, member, team } = await setup();
    const before = { maxLifetimeDays: 7, allowedScopes: ['tokens:read'] };
    await updateTeamPolicy({ db, clock, actor: OPERATOR, teamId: team.id, ...before });
    await expectAppError(
      updateTeamPolicy({ db, clock, actor: OPERATOR, teamId: team.id, ...change }),
      AppErrorCode.INVALID_BODY,
      message,
    );
    expect(await getTeamPolicy({ db, userId: member.id, teamId: team.id })).toEqual(before);
    const { events } = await getAuditEvents({ db, userId: admin.id, teamId: team.id, type: 'team.policy_updated' });
    expect(events).toHaveLength(1);
  });

  it('refuses the operator a team that does not exist', async () => {
    const { db, clock } = await setup();
    await expectAppError(
      updateTeamPolicy({ db, clock, actor: OPERATOR, teamId: 999_999, maxLifetimeDays: 30 }),
      AppErrorCode.NOT_FOUND,
      'No team with that id',
    );
  });

  it('refuses a longer preset, NEVER, or a disallowed scope, naming the rule; fills in what was left out', async () => {
    const { db, clock, admin, team } = await setup();
    await updateTeamPolicy({
      db,
      clock,
      userId: admin.id,
      teamId: team.id,
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read'],
    });
    const as = { db, clock, userId: admin.id, teamId: team.id };
    await expectAppError(
      createApiToken({ ...as, name: 'Long', expiresIn: 'THREE_MONTHS' }),
      AppErrorCode.INVALID_BODY,
      /team's token policy allows tokens to live at most 30 days/,
    );
    await expectAppError(
      createApiToken({ ...as, name: 'Forever', expiresIn: 'NEVER' }),
      AppErrorCode.INVALID_BODY,
      /requires every token to expire/,
    );
    await expectAppError(
      createApiToken({ ...as, name: 'Writer', expiresIn: 'SEVEN_DAYS', scopes: ['tokens:write'] }),
      AppErrorCode.INVALID_BODY,
      /does not allow the scope tokens:write/,
    );
    const ok = await createApiToken({ ...as, name: 'Month', expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] });
    expect(ok.expiresAt?.getTime()).toBe(START + 30 * DAY_MS);
    const defaults = await createApiToken({ ...as, name: 'Defaults' });
    expect(defaults.expiresAt?.getTime()).toBe(START + 30 * DAY_MS);
    expect(defaults.scopes).toEqual(['tokens:read']);
    // Personal tokens are not under the team's policy.
    const personal = await createApiToken({ db, clock, userId: admin.id, name: 'Mine', expiresIn: 'NEVER' });
    expect(personal.expiresAt).toBeNull();
  });

  it('does not shorten existing tokens, marks those that break the policy, and refuses to rotate them', async () => {
    const { db, clock, admin, team } = await setup();
    const as = { db, clock, userId: admin.id, teamId: team.id };
    const forever = await createApiToken({ ...as, name: 'Forever', expiresIn: 'NEVER' });
    const week = await createApiToken({ ...as, name: 'Week', expiresIn: 'SEVEN_DAYS', scopes: ['tokens:read'] });
    const writer = await createApiToken({ ...as, name: 'Writer', expiresIn: 'SEVEN_DAYS', scopes: ['tokens:write'] });
    await updateTeamPolicy({
      db,
      clock,
      userId: admin.id,
      teamId: team.id,
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read'],
    });
    const listed = new Map((await getApiTokens(as)).tokens.map((t) => [t.id, t]));
    // Forever holds every scope and never expires: it breaks both rules, and says so.
    expect(listed.get(forever.id)).toMatchObject({
      expiresAt: null,
      breaksPolicy: 'longer than the team allows and has scopes the team does not allow',
    });
    expect(listed.get(week.id)!.breaksPolicy).toBeNull();
    expect(listed.get(writer.id)!.breaksPolicy).toBe('has scopes the team does not allow');
    await expectAppError(
      rotateApiToken({ ...as, id: forever.id }),
      AppErrorCode.INVALID_BODY,
      /requires every token to expire/,
    );
    const check = await checkApiToken({ db, clock, token: forever.token });
    expect(check.ok).toBe(true);
    const rotated = await rotateApiToken({ ...as, id: week.id });
    expect(rotated.expiresAt?.getTime()).toBe(START + 7 * DAY_MS);
  });

  it('applies TOKEN_MAX_LIFETIME_DAYS to every token, personal ones too', async () => {
    const { db, clock, admin, team } = await setup();
    const limit = { instanceMaxLifetimeDays: 90 };
    await expectAppError(
      createApiToken({ db, clock, userId: admin.id, name: 'Year', expiresIn: 'ONE_YEAR', ...limit }),
      AppErrorCode.INVALID_BODY,
      /server's token policy allows tokens to live at most 90 days/,
    );
    const omitted = await createApiToken({ db, clock, userId: admin.id, name: 'Omitted', ...limit });
    expect(omitted.expiresAt?.getTime()).toBe(START + 90 * DAY_MS);
    // The tighter of the team's and the instance's limits names its rule.
    await updateTeamPolicy({ db, clock, userId: admin.id, teamId: team.id, maxLifetimeDays: 200 });
    await expectAppError(
      createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Half', expiresIn: 'SIX_MONTHS', ...limit }),
      AppErrorCode.INVALID_BODY,
      /server's/,
    );
    const old = await createApiToken({ db, clock, userId: admin.id, name: 'Old', expiresIn: 'NEVER' });
    const listed = (await getApiTokens({ db, clock, userId: admin.id, ...limit })).tokens.find((t) => t.id === old.id)!;
    expect(listed.breaksPolicy).toBe('longer than this server allows');
  });
});

describeEachDatabase('leak reports', (getDatabase) => {
  it('deletes every live token reported, skips malformed strings, records token.revoked for each owner', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const alice = await insertUser(db, clock);
    const bob = await insertUser(db, clock);
    const a = await createApiToken({ db, clock, userId: alice.id, name: 'Alice key' });
    const b = await createApiToken({ db, clock, userId: bob.id, name: 'Bob key' });
    const kept = await createApiToken({ db, clock, userId: bob.id, name: 'Bob other' });
    const result = await revokeLeakedApiTokens({
      db,
      clock,
      credentials: [
        a.token,
        'api_short',
        `${b.token.slice(0, -1)}x`,
        b.token,
        b.token,
        generateApiToken(),
        ` ${a.token} `,
      ],
      ip: '198.51.100.1',
    });
    expect(result.revoked).toBe(2);
    expect((await checkApiToken({ db, clock, token: a.token })).ok).toBe(false);
    expect((await checkApiToken({ db, clock, token: b.token })).ok).toBe(false);
    expect((await checkApiToken({ db, clock, token: kept.token })).ok).toBe(true);
    for (const [user, token] of [
      [alice, a],
      [bob, b],
    ] as const) {
      const events = (await getAuditEvents({ db, userId: user.id, type: 'token.revoked' })).events;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        tokenId: token.id,
        actor: { kind: 'leak_report' },
        ip: '198.51.100.1',
        details: { source: 'leak_report' },
      });
    }
  });

  it('a token reported twice is revoked and recorded once', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const a = await createApiToken({ db, clock, userId: user.id, name: 'Twice' });
    const [first, second] = await Promise.all([
      revokeLeakedApiTokens({ db, clock, credentials: [a.token] }),
      revokeLeakedApiTokens({ db, clock, credentials: [a.token] }),
    ]);
    expect(first.revoked + second.revoked).toBe(1);
    expect((await getAuditEvents({ db, userId: user.id, type: 'token.revoked' })).events).toHaveLength(1);
  });

  it('a report racing a rotation leaves no old token working', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const a = await createApiToken({ db, clock, userId: user.id, name: 'Raced' });
    const [rotation] = await Promise.allSettled([
      rotateApiToken({ db, clock, userId: user.id, id: a.id, gracePeriodSeconds: 3600 }),
      revokeLeakedApiTokens({ db, clock, credentials: [a.token] }),
    ]);
    // Whichever came first, the reported token stops at once; a rotation that won keeps its new token.
    expect((await checkApiToken({ db, clock, token: a.token })).ok).toBe(false);
    if (rotation.status === 'fulfilled')
      expect((await checkApiToken({ db, clock, token: rotation.value.token })).ok).toBe(true);
    else expect(rotation.reason).toMatchObject({ code: AppErrorCode.NOT_FOUND });
  });

  it.each([[[]], [Array.from({ length: 1001 }, () => 'x')], [[1, 2]], ['api_x']])(
    'refuses a report that is not 1 to 1000 strings',
    async (credentials) => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      await expectAppError(
        revokeLeakedApiTokens({ db, clock, credentials: credentials as string[] }),
        AppErrorCode.INVALID_BODY,
      );
    },
  );
});
