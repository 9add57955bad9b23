// Teams: the creator is ADMIN, only ADMINs manage members, and a team always keeps an ADMIN,
// also when admins demote or remove each other at the same moment.
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/create-database';
import { AppError } from '../src/errors/app-error';
import { ManualClock } from '../src/server-only/clock';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { addTeamMember } from '../src/server-only/team/add-team-member';
import { createTeam } from '../src/server-only/team/create-team';
import { getTeamBySlug } from '../src/server-only/team/get-team-by-slug';
import { getTeamMembers } from '../src/server-only/team/get-team-members';
import { getTeams } from '../src/server-only/team/get-teams';
import { removeTeamMember } from '../src/server-only/team/remove-team-member';
import { updateTeamMemberRole } from '../src/server-only/team/update-team-member-role';
import { describeEachDatabase } from '../src/testing/index';
import { countRows, expectAppError, getApiTokenByToken, insertUser, makeTeam, unique } from './helpers';

const MEMBERS_ADMIN_NEEDED = 'You need to be a team admin to manage members';
const LAST_ADMIN = 'A team must keep at least one admin';

async function roles(db: Db, teamId: number): Promise<Record<number, string>> {
  const rows = await db.selectFrom('team_members').select(['user_id', 'role']).where('team_id', '=', teamId).execute();
  return Object.fromEntries(rows.map((r) => [Number(r.user_id), r.role]));
}

describeEachDatabase('teams', (getDatabase) => {
  describe('creating', () => {
    it('the creator becomes the team’s only member, as ADMIN', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const creator = await insertUser(db, clock);
      const slug = unique('acme').toLowerCase();
      const team = await createTeam({
        db,
        clock,
        userId: creator.id,
        name: '  Acme Inc  ',
        slug: `  ${slug.toUpperCase()} `,
      });

      expect(team).toEqual({ id: expect.any(Number), name: 'Acme Inc', slug });
      expect(await roles(db, team.id)).toEqual({ [creator.id]: 'ADMIN' });
      expect(await getTeams({ db, userId: creator.id })).toEqual([{ ...team, role: 'ADMIN' }]);
      expect(
        (await getTeamMembers({ clock, db, userId: creator.id, teamId: team.id })).map((m) => [m.userId, m.role]),
      ).toEqual([[creator.id, 'ADMIN']]);
      expect(await getTeamBySlug({ db, slug: slug.toUpperCase() })).toEqual(team);
    });

    it('a slug already taken is a CONFLICT, whatever its case, and creates nothing', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const first = await insertUser(db, clock);
      const second = await insertUser(db, clock);
      const slug = unique('dup').toLowerCase();
      await createTeam({ db, clock, userId: first.id, name: 'First', slug });
      const teamsBefore = await countRows(db, 'teams');
      const membersBefore = await countRows(db, 'team_members');

      await expectAppError(
        createTeam({ db, clock, userId: second.id, name: 'Second', slug }),
        'CONFLICT',
        'A team with this slug already exists',
      );
      await expectAppError(
        createTeam({ db, clock, userId: second.id, name: 'Second', slug: slug.toUpperCase() }),
        'CONFLICT',
      );
      expect(await countRows(db, 'teams')).toBe(teamsBefore);
      expect(await countRows(db, 'team_members')).toBe(membersBefore);
      expect(await getTeams({ db, userId: second.id })).toEqual([]);
    });

    it.each(['', '-acme', 'acme-', 'ac me', 'acme_inc', 'a'.repeat(49)])(
      'the slug %j is refused with INVALID_BODY',
      async (slug) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const creator = await insertUser(db, clock);
        await expectAppError(createTeam({ db, clock, userId: creator.id, name: 'Team', slug }), 'INVALID_BODY');
      },
    );
  });

  describe('adding members', () => {
    it('an ADMIN adds an existing user by e-mail (any case) in a role', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const newcomer = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);

      await addTeamMember({
        db,
        clock,
        userId: admin.id,
        teamId: team.id,
        email: ` ${newcomer.email.toUpperCase()} `,
        role: 'MANAGER',
      });
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [newcomer.id]: 'MANAGER' });
      expect(await getTeams({ db, userId: newcomer.id })).toEqual([{ ...team, role: 'MANAGER' }]);
    });

    it.each(['MANAGER', 'MEMBER'] as const)('a %s cannot add members (FORBIDDEN)', async (role) => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const insider = await insertUser(db, clock);
      const newcomer = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[insider, role]]);

      await expectAppError(
        addTeamMember({ db, clock, userId: insider.id, teamId: team.id, email: newcomer.email, role: 'MEMBER' }),
        'FORBIDDEN',
        MEMBERS_ADMIN_NEEDED,
      );
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [insider.id]: role });
    });

    it('an outsider cannot add members, not even themselves (NOT_FOUND)', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const outsider = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      await expectAppError(
        addTeamMember({ db, clock, userId: outsider.id, teamId: team.id, email: outsider.email, role: 'ADMIN' }),
        'NOT_FOUND',
      );
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN' });
    });

    it('an unknown e-mail is NOT_FOUND', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      await expectAppError(
        addTeamMember({
          db,
          clock,
          userId: admin.id,
          teamId: team.id,
          email: `${unique('ghost')}@example.test`,
          role: 'MEMBER',
        }),
        'NOT_FOUND',
        /need to sign up first/,
      );
    });

    it('adding someone already in the team is a CONFLICT, and their role is unchanged', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);
      await expectAppError(
        addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: member.email, role: 'ADMIN' }),
        'CONFLICT',
      );
      await expectAppError(
        addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: admin.email, role: 'MEMBER' }),
        'CONFLICT',
      );
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [member.id]: 'MEMBER' });
    });

    it('an unknown role or a malformed e-mail is INVALID_BODY', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const other = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      await expectAppError(
        addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: other.email, role: 'OWNER' as 'ADMIN' }),
        'INVALID_BODY',
      );
      await expectAppError(
        addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: 'not-an-email', role: 'MEMBER' }),
        'INVALID_BODY',
      );
    });

    it('members may list the members; outsiders get NOT_FOUND', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const outsider = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);
      const members = await getTeamMembers({ clock, db, userId: member.id, teamId: team.id });
      expect(members.map((m) => ({ userId: m.userId, email: m.email, role: m.role }))).toEqual([
        { userId: admin.id, email: admin.email, role: 'ADMIN' },
        { userId: member.id, email: member.email, role: 'MEMBER' },
      ]);
      await expectAppError(getTeamMembers({ clock, db, userId: outsider.id, teamId: team.id }), 'NOT_FOUND');
    });
  });

  describe('changing roles and removing members', () => {
    it('an ADMIN promotes and demotes members, and removes them', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);

      await updateTeamMemberRole({
        clock,
        db,
        userId: admin.id,
        teamId: team.id,
        memberUserId: member.id,
        role: 'ADMIN',
      });
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [member.id]: 'ADMIN' });
      // With two admins, either may step down.
      await updateTeamMemberRole({
        clock,
        db,
        userId: admin.id,
        teamId: team.id,
        memberUserId: admin.id,
        role: 'MANAGER',
      });
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'MANAGER', [member.id]: 'ADMIN' });
      await removeTeamMember({ clock, db, userId: member.id, teamId: team.id, memberUserId: admin.id });
      expect(await roles(db, team.id)).toEqual({ [member.id]: 'ADMIN' });
    });

    it('the last ADMIN cannot be demoted, by themselves', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);
      for (const role of ['MANAGER', 'MEMBER'] as const) {
        await expectAppError(
          updateTeamMemberRole({ clock, db, userId: admin.id, teamId: team.id, memberUserId: admin.id, role }),
          'INVALID_REQUEST',
          LAST_ADMIN,
        );
      }
      // Staying ADMIN is fine.
      await updateTeamMemberRole({
        clock,
        db,
        userId: admin.id,
        teamId: team.id,
        memberUserId: admin.id,
        role: 'ADMIN',
      });
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [member.id]: 'MEMBER' });
    });

    it('the last ADMIN cannot be removed', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);
      await expectAppError(
        removeTeamMember({ clock, db, userId: admin.id, teamId: team.id, memberUserId: admin.id }),
        'INVALID_REQUEST',
        LAST_ADMIN,
      );
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [member.id]: 'MEMBER' });
    });

    it.each(['MANAGER', 'MEMBER'] as const)(
      'a %s can neither change roles nor remove members (FORBIDDEN)',
      async (role) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const admin = await insertUser(db, clock);
        const insider = await insertUser(db, clock);
        const member = await insertUser(db, clock);
        const team = await makeTeam(db, clock, admin, [
          [insider, role],
          [member, 'MEMBER'],
        ]);
        await expectAppError(
          updateTeamMemberRole({
            clock,
            db,
            userId: insider.id,
            teamId: team.id,
            memberUserId: insider.id,
            role: 'ADMIN',
          }),
          'FORBIDDEN',
          MEMBERS_ADMIN_NEEDED,
        );
        await expectAppError(
          updateTeamMemberRole({
            clock,
            db,
            userId: insider.id,
            teamId: team.id,
            memberUserId: admin.id,
            role: 'MEMBER',
          }),
          'FORBIDDEN',
          MEMBERS_ADMIN_NEEDED,
        );
        await expectAppError(
          removeTeamMember({ clock, db, userId: insider.id, teamId: team.id, memberUserId: member.id }),
          'FORBIDDEN',
          MEMBERS_ADMIN_NEEDED,
        );
        expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN', [insider.id]: role, [member.id]: 'MEMBER' });
      },
    );

    it('changing or removing someone who is not a member is NOT_FOUND; outsiders get NOT_FOUND', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const outsider = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      await expectAppError(
        updateTeamMemberRole({
          clock,
          db,
          userId: admin.id,
          teamId: team.id,
          memberUserId: outsider.id,
          role: 'ADMIN',
        }),
        'NOT_FOUND',
      );
      await expectAppError(
        removeTeamMember({ clock, db, userId: admin.id, teamId: team.id, memberUserId: outsider.id }),
        'NOT_FOUND',
      );
      await expectAppError(
        updateTeamMemberRole({
          clock,
          db,
          userId: outsider.id,
          teamId: team.id,
          memberUserId: admin.id,
          role: 'MEMBER',
        }),
        'NOT_FOUND',
      );
      await expectAppError(
        removeTeamMember({ clock, db, userId: outsider.id, teamId: team.id, memberUserId: admin.id }),
        'NOT_FOUND',
      );
      expect(await roles(db, team.id)).toEqual({ [admin.id]: 'ADMIN' });
    });

    it('an unknown role is INVALID_BODY', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      await expectAppError(
        updateTeamMemberRole({
          clock,
          db,
          userId: admin.id,
          teamId: team.id,
          memberUserId: admin.id,
          role: 'owner' as 'ADMIN',
        }),
        'INVALID_BODY',
      );
    });

    it('a removed ADMIN can no longer manage the team’s tokens', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const admin = await insertUser(db, clock);
      const leaver = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [[leaver, 'ADMIN']]);
      await createApiToken({ db, clock, userId: leaver.id, teamId: team.id, name: 'Made before leaving' });
      await removeTeamMember({ clock, db, userId: admin.id, teamId: team.id, memberUserId: leaver.id });
      await expectAppError(getApiTokens({ db, clock, userId: leaver.id, teamId: team.id }), 'NOT_FOUND');
      await expectAppError(
        createApiToken({ db, clock, userId: leaver.id, teamId: team.id, name: 'After leaving' }),
        'NOT_FOUND',
      );
    });
  });

  describe('a maker leaving: the team tokens they made are revoked', () => {
    async function teamWithFrank() {
      const { db } = getDatabase();
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const alice = await insertUser(db, clock, { name: 'Alice' });
      const frank = await insertUser(db, clock, { name: 'Frank' });
      const mo = await insertUser(db, clock, { name: 'Mo' });
      const team = await makeTeam(db, clock, alice, [
        [frank, 'ADMIN'],
        [mo, 'MEMBER'],
      ]);
      const make = (userId: number, name: string) =>
        createApiToken({ db, clock, userId, teamId: team.id, name, expiresIn: 'NEVER' });
      const frankDeploy = await make(frank.id, 'Frank deploy');
      const frankCi = await make(frank.id, 'Frank CI');
      // One made through Frank's team token is Frank's too.
      const viaFrank = await getApiTokenByToken({ db, clock, token: frankDeploy.token });
      const frankChild = await createApiToken({ db, clock, viaToken: viaFrank, name: 'Frank child' });
      const aliceToken = await make(alice.id, 'Alice deploy');
      const frankPersonal = await createApiToken({ db, clock, userId: frank.id, name: 'Frank personal' });
      const frankTeamTokens = [frankDeploy, frankCi, frankChild];
      return { db, clock, alice, frank, mo, team, frankTeamTokens, viaFrank, aliceToken, frankPersonal };
    }

    it("lists each member's count of team tokens to ADMINs (null for others), before any removal", async () => {
      const { db, clock, alice, frank, mo, team } = await teamWithFrank();
      const counts = async (userId: number) =>
        (await getTeamMembers({ db, clock, userId, teamId: team.id })).map((m) => [m.name, m.teamTokenCount]);
      expect(await counts(alice.id)).toEqual([
        ['Alice', 1],
        ['Frank', 3],
        ['Mo', 0],
      ]);
      expect(await counts(mo.id)).toEqual([
        ['Alice', null],
        ['Frank', null],
        ['Mo', null],
      ]);
      expect((await counts(frank.id)).map(([, count]) => count)).toEqual([1, 3, 0]);
    });

    it(
      'removing an ADMIN revokes every team token they made, at once, each with token.revoked ' +
        '(maker_left_team); says how many; others’ tokens and their personal tokens stay',
      async () => {
        const { db, clock, alice, frank, team, frankTeamTokens, aliceToken, frankPersonal } = await teamWithFrank();
        const result = await removeTeamMember({
          db,
          clock,
          userId: alice.id,
          teamId: team.id,
          memberUserId: frank.id,
          audit: { actor: { kind: 'user', id: alice.id, name: alice.name }, ip: '203.0.113.5' },
        });
        expect(result).toEqual({ revokedTokens: 3 });

        for (const token of frankTeamTokens) {
          await expectAppError(getApiTokenByToken({ db, clock, token: token.token }), 'UNAUTHORIZED', 'Invalid token');
        }
        expect((await getApiTokenByToken({ db, clock, token: aliceToken.token })).id).toBe(aliceToken.id);
        expect((await getApiTokenByToken({ db, clock, token: frankPersonal.token })).id).toBe(frankPersonal.id);
        const listed = await getApiTokens({ db, clock, userId: alice.id, teamId: team.id });
        expect(listed.tokens.map((t) => t.id)).toEqual([aliceToken.id]);

        const revoked = await getAuditEvents({ db, userId: alice.id, teamId: team.id, type: 'token.revoked' });
        expect(revoked.events.map((e) => e.tokenId).sort()).toEqual(frankTeamTokens.map((t) => t.id).sort());
        for (const event of revoked.events) {
          expect(event).toMatchObject({
            actor: { kind: 'user', id: alice.id, name: alice.name },
            ip: '203.0.113.5',
            details: { reason: 'maker_left_team', userId: frank.id },
          });
          expect(frankTeamTokens.map((t) => t.name)).toContain(event.details.name);
        }
        const removed = await getAuditEvents({ db, userId: alice.id, teamId: team.id, type: 'team.member_removed' });
        expect(removed.events).toHaveLength(1);
      },
    );

    it('an ADMIN leaving (removing themselves) revokes theirs the same way', async () => {
      const { db, clock, frank, team, frankTeamTokens, aliceToken } = await teamWithFrank();
      expect(await removeTeamMember({ db, clock, userId: frank.id, teamId: team.id, memberUserId: frank.id })).toEqual({
        revokedTokens: 3,
      });
      for (const token of frankTeamTokens) {
        await expectAppError(getApiTokenByToken({ db, clock, token: token.token }), 'UNAUTHORIZED', 'Invalid token');
      }
      expect((await getApiTokenByToken({ db, clock, token: aliceToken.token })).id).toBe(aliceToken.id);
    });

    it('a removal that is refused revokes nothing', async () => {
      const { db, clock, alice, mo, team, aliceToken } = await teamWithFrank();
      await expectAppError(
        removeTeamMember({ db, clock, userId: mo.id, teamId: team.id, memberUserId: alice.id }),
        'FORBIDDEN',
      );
      expect((await getApiTokenByToken({ db, clock, token: aliceToken.token })).id).toBe(aliceToken.id);
      expect((await getAuditEvents({ db, userId: alice.id, teamId: team.id, type: 'token.revoked' })).events).toEqual(
        [],
      );
    });

    it('a team token checked before its maker left can make and rotate no more tokens (FORBIDDEN)', async () => {
      const { db, clock, alice, frank, team, viaFrank, aliceToken } = await teamWithFrank();
      await removeTeamMember({ db, clock, userId: alice.id, teamId: team.id, memberUserId: frank.id });
      const before = await countRows(db, 'api_tokens');
      await expectAppError(createApiToken({ db, clock, viaToken: viaFrank, name: 'Too late' }), 'FORBIDDEN');
      await expectAppError(rotateApiToken({ db, clock, viaToken: viaFrank, id: aliceToken.id }), 'FORBIDDEN');
      expect(await countRows(db, 'api_tokens')).toBe(before);
      expect((await getApiTokenByToken({ db, clock, token: aliceToken.token })).id).toBe(aliceToken.id);
    });

    it('children made through a team token while its maker is removed never outlive the removal', async () => {
      const { db, clock, alice, frank, team, viaFrank } = await teamWithFrank();
      const attempts = [
        ...Array.from({ length: 12 }, (_, i) =>
          createApiToken({ db, clock, viaToken: viaFrank, name: `Racing child ${i}` }),
        ),
        removeTeamMember({ db, clock, userId: alice.id, teamId: team.id, memberUserId: frank.id }),
        ...Array.from({ length: 12 }, (_, i) =>
          createApiToken({ db, clock, viaToken: viaFrank, name: `Later child ${i}` }),
        ),
      ];
      const results = await Promise.allSettled(attempts);
      expect(results[12]!.status).toBe('fulfilled');
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as AppError).code).toBe('FORBIDDEN');
      }
      const left = await db
        .selectFrom('api_tokens')
        .select('id')
        .where('team_id', '=', team.id)
        .where('created_by', '=', frank.id)
        .execute();
      expect(left).toEqual([]);
    });
  });

  describe('concurrent changes', () => {
    it('20 parallel demotions and removals between two ADMINs always leave exactly one ADMIN', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();

      for (let round = 0; round < 4; round++) {
        const a = await insertUser(db, clock);
        const b = await insertUser(db, clock);
        const team = await makeTeam(db, clock, a, [[b, 'ADMIN']]);
        const pairs = [
          [a, b],
          [b, a],
          [a, a],
          [b, b],
        ] as const;

        const attempts = Array.from({ length: 20 }, (_, i) => {
          const [actor, target] = pairs[(i + round) % pairs.length]!;
          return i % 5 === 4
            ? removeTeamMember({ clock, db, userId: actor.id, teamId: team.id, memberUserId: target.id })
            : updateTeamMemberRole({
                clock,
                db,
                userId: actor.id,
                teamId: team.id,
                memberUserId: target.id,
                role: i % 2 ? 'MEMBER' : 'MANAGER',
              });
        });
        const results = await Promise.allSettled(attempts);

        const admins = Object.values(await roles(db, team.id)).filter((role) => role === 'ADMIN');
        expect(admins, `round ${round}`).toHaveLength(1);
        expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(AppError);
            expect(['FORBIDDEN', 'INVALID_REQUEST', 'NOT_FOUND']).toContain((r.reason as AppError).code);
          }
        }
      }
    });
  });
});
