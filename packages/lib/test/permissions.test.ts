// Who may manage which tokens: personal tokens by their user only, team tokens by team ADMINs only.
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/create-database';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { addTeamMember } from '../src/server-only/team/add-team-member';
import { TEAM_ADMIN_REQUIRED } from '../src/universal/permissions';
import { describeEachDatabase } from '../src/testing/index';
import { expectAppError, getApiTokenByToken, insertUser, makeTeam } from './helpers';

const ADMIN_NEEDED = 'You need to be a team admin to manage API tokens';

type Actor = { userId: number; teamId?: number | null };

/** The five operations, each as "do it as this actor on this token id". */
function operations(db: Db, clock: ManualClock) {
  return {
    create: (actor: Actor) => createApiToken({ db, clock, ...actor, name: 'Attempted token' }),
    list: (actor: Actor) => getApiTokens({ db, clock, ...actor }),
    get: (actor: Actor, id: number) => getApiTokenById({ db, clock, ...actor, id }),
    delete: (actor: Actor, id: number) => deleteApiTokenById({ clock, db, ...actor, id }),
    rotate: (actor: Actor, id: number) => rotateApiToken({ db, clock, ...actor, id }),
  };
}

/** The token still exists, unchanged, and still authenticates. */
async function expectUntouched(db: Db, clock: ManualClock, token: { id: number; token: string; name: string }) {
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'revoke_at'])
    .where('id', '=', token.id)
    .executeTakeFirst();
  expect(row).toEqual({ id: token.id, name: token.name, revoke_at: null });
  const verified = await getApiTokenByToken({ db, clock, token: token.token });
  expect(verified.id).toBe(token.id);
}

describeEachDatabase('token permissions', (getDatabase) => {
  describe('personal tokens', () => {
    it('their user can create, list, get, rotate and delete them', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const ops = operations(db, clock);
      const owner = await insertUser(db, clock);

      const created = await ops.create({ userId: owner.id });
      expect(created.createdBy).toEqual({ id: owner.id, name: owner.name });
      expect((await ops.list({ userId: owner.id })).tokens.map((t) => t.id)).toEqual([created.id]);
      expect((await ops.get({ userId: owner.id }, created.id)).name).toBe('Attempted token');

      const rotated = await ops.rotate({ userId: owner.id }, created.id);
      expect((await ops.list({ userId: owner.id })).tokens.map((t) => t.id)).toEqual([rotated.id]);
      await ops.delete({ userId: owner.id }, rotated.id);
      expect((await ops.list({ userId: owner.id })).tokens).toEqual([]);
    });

    it('another user sees none of them in their listing', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const ops = operations(db, clock);
      const owner = await insertUser(db, clock);
      const other = await insertUser(db, clock);
      await ops.create({ userId: owner.id });
      const theirs = await ops.create({ userId: other.id });

      expect((await ops.list({ userId: other.id })).tokens.map((t) => t.id)).toEqual([theirs.id]);
    });

    it.each(['get', 'delete', 'rotate'] as const)(
      'another user who %ss one by id gets NOT_FOUND, and the token is unchanged',
      async (op) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const ops = operations(db, clock);
        const owner = await insertUser(db, clock);
        const other = await insertUser(db, clock);
        const token = await ops.create({ userId: owner.id });

        await expectAppError(ops[op]({ userId: other.id }, token.id), 'NOT_FOUND', 'API token not found');
        await expectUntouched(db, clock, token);
        expect((await ops.list({ userId: owner.id })).tokens.map((t) => t.id)).toEqual([token.id]);
        expect((await ops.list({ userId: other.id })).tokens).toEqual([]);
      },
    );

    it.each(['get', 'delete', 'rotate'] as const)(
      'a token id that does not exist is NOT_FOUND for %s, exactly like another owner’s',
      async (op) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const owner = await insertUser(db, clock);
        await expectAppError(
          operations(db, clock)[op]({ userId: owner.id }, 987_654_321),
          'NOT_FOUND',
          'API token not found',
        );
      },
    );

    it.each(['get', 'delete', 'rotate'] as const)(
      'a team token cannot be reached as a personal one (%s gives NOT_FOUND, even for the team admin)',
      async (op) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const ops = operations(db, clock);
        const admin = await insertUser(db, clock);
        const team = await makeTeam(db, clock, admin);
        const teamToken = await ops.create({ userId: admin.id, teamId: team.id });

        await expectAppError(ops[op]({ userId: admin.id }, teamToken.id), 'NOT_FOUND');
        await expectUntouched(db, clock, teamToken);
      },
    );
  });

  describe('team tokens', () => {
    async function teamFixture(db: Db, clock: ManualClock) {
      const admin = await insertUser(db, clock);
      const manager = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const outsider = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [
        [manager, 'MANAGER'],
        [member, 'MEMBER'],
      ]);
      const token = await createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Team deploy key' });
      return { admin, manager, member, outsider, team, token };
    }

    it('the message constant is the one users see', () => {
      expect(TEAM_ADMIN_REQUIRED).toBe(ADMIN_NEEDED);
    });

    it('an ADMIN can create, list, get, rotate and delete them, and is recorded as their creator', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const ops = operations(db, clock);
      const { admin, team, token } = await teamFixture(db, clock);
      const actor = { userId: admin.id, teamId: team.id };

      expect(token.createdBy).toEqual({ id: admin.id, name: admin.name });
      const verified = await getApiTokenByToken({ db, clock, token: token.token });
      expect(verified.owner).toEqual({ kind: 'team', teamId: team.id });
      expect(verified.team).toEqual(team);

      const second = await ops.create(actor);
      expect((await ops.list(actor)).tokens.map((t) => t.id)).toEqual([second.id, token.id]);
      expect((await ops.get(actor, token.id)).createdBy).toEqual({ id: admin.id, name: admin.name });
      const rotated = await ops.rotate(actor, token.id);
      await ops.delete(actor, second.id);
      expect((await ops.list(actor)).tokens.map((t) => t.id)).toEqual([rotated.id]);
      // Team tokens are not the admin's personal tokens.
      expect((await ops.list({ userId: admin.id })).tokens).toEqual([]);
    });

    it('another ADMIN of the same team manages the tokens the first one made', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const ops = operations(db, clock);
      const { admin, team, token } = await teamFixture(db, clock);
      const secondAdmin = await insertUser(db, clock);
      await addTeamMember({ db, clock, userId: admin.id, teamId: team.id, email: secondAdmin.email, role: 'ADMIN' });

      const actor = { userId: secondAdmin.id, teamId: team.id };
      expect((await ops.get(actor, token.id)).id).toBe(token.id);
      await ops.delete(actor, token.id);
      await expectAppError(getApiTokenByToken({ db, clock, token: token.token }), 'UNAUTHORIZED', 'Invalid token');
    });

    for (const role of ['manager', 'member'] as const) {
      describe(`a ${role.toUpperCase()}`, () => {
        it(`gets FORBIDDEN "${ADMIN_NEEDED}" for create and list`, async () => {
          const { db } = getDatabase();
          const clock = new ManualClock();
          const ops = operations(db, clock);
          const fixture = await teamFixture(db, clock);
          const actor = { userId: fixture[role].id, teamId: fixture.team.id };

          await expectAppError(ops.create(actor), 'FORBIDDEN', ADMIN_NEEDED);
          await expectAppError(ops.list(actor), 'FORBIDDEN', ADMIN_NEEDED);
          // Nothing was created.
          expect(
            (await ops.list({ userId: fixture.admin.id, teamId: fixture.team.id })).tokens.map((t) => t.id),
          ).toEqual([fixture.token.id]);
        });

        it.each(['get', 'delete', 'rotate'] as const)(
          `gets FORBIDDEN "${ADMIN_NEEDED}" for %s, and the token is unchanged`,
          async (op) => {
            const { db } = getDatabase();
            const clock = new ManualClock();
            const ops = operations(db, clock);
            const fixture = await teamFixture(db, clock);
            const actor = { userId: fixture[role].id, teamId: fixture.team.id };

            await expectAppError(ops[op](actor, fixture.token.id), 'FORBIDDEN', ADMIN_NEEDED);
            await expectUntouched(db, clock, fixture.token);
            expect(
              (await ops.list({ userId: fixture.admin.id, teamId: fixture.team.id })).tokens.map((t) => t.id),
            ).toEqual([fixture.token.id]);
          },
        );
      });
    }

    describe('an outsider', () => {
      it('gets NOT_FOUND for create and list', async () => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const ops = operations(db, clock);
        const fixture = await teamFixture(db, clock);
        const actor = { userId: fixture.outsider.id, teamId: fixture.team.id };

        await expectAppError(ops.create(actor), 'NOT_FOUND');
        await expectAppError(ops.list(actor), 'NOT_FOUND');
        expect((await ops.list({ userId: fixture.admin.id, teamId: fixture.team.id })).tokens).toHaveLength(1);
        expect((await ops.list({ userId: fixture.outsider.id })).tokens).toEqual([]);
      });

      it.each(['get', 'delete', 'rotate'] as const)('gets NOT_FOUND for %s, and the token is unchanged', async (op) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const ops = operations(db, clock);
        const fixture = await teamFixture(db, clock);

        await expectAppError(
          ops[op]({ userId: fixture.outsider.id, teamId: fixture.team.id }, fixture.token.id),
          'NOT_FOUND',
        );
        // Nor can the outsider reach it as if it were personal.
        await expectAppError(ops[op]({ userId: fixture.outsider.id }, fixture.token.id), 'NOT_FOUND');
        await expectUntouched(db, clock, fixture.token);
      });

      it('gets NOT_FOUND for a team that does not exist', async () => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const user = await insertUser(db, clock);
        await expectAppError(operations(db, clock).create({ userId: user.id, teamId: 987_654_321 }), 'NOT_FOUND');
        await expectAppError(operations(db, clock).list({ userId: user.id, teamId: 987_654_321 }), 'NOT_FOUND');
      });
    });

    it.each(['get', 'delete', 'rotate'] as const)(
      'an ADMIN of two teams cannot %s one team’s token through the other team (NOT_FOUND)',
      async (op) => {
        const { db } = getDatabase();
        const clock = new ManualClock();
        const ops = operations(db, clock);
        const { admin, token } = await teamFixture(db, clock);
        const otherTeam = await makeTeam(db, clock, admin);

        await expectAppError(
          ops[op]({ userId: admin.id, teamId: otherTeam.id }, token.id),
          'NOT_FOUND',
          'API token not found',
        );
        await expectUntouched(db, clock, token);
      },
    );

    it('a personal token cannot be reached through a team (NOT_FOUND)', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const ops = operations(db, clock);
      const admin = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      const personal = await ops.create({ userId: admin.id });

      for (const op of ['get', 'delete', 'rotate'] as const) {
        await expectAppError(ops[op]({ userId: admin.id, teamId: team.id }, personal.id), 'NOT_FOUND');
      }
      await expectUntouched(db, clock, personal);
    });
  });

  it('ids that are not positive whole numbers are INVALID_REQUEST', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const ops = operations(db, clock);
    const user = await insertUser(db, clock);
    for (const id of [0, -1, 1.5, Number.NaN, '1' as unknown as number]) {
      await expectAppError(ops.get({ userId: user.id }, id), 'INVALID_REQUEST');
      await expectAppError(ops.delete({ userId: user.id }, id), 'INVALID_REQUEST');
      await expectAppError(ops.rotate({ userId: user.id }, id), 'INVALID_REQUEST');
    }
    await expectAppError(ops.list({ userId: user.id, teamId: 0 }), 'INVALID_REQUEST');
  });
});
