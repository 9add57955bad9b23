// A team's ADMINs rename it or delete it. Deleting a team deletes its tokens (they stop working on
// every server at once), its members and its policy; the event goes to the deleting admin's own log,
// since the team's log goes with the team.
import type { Db } from '../../db/create-database.js';
import { AppErrorCode } from '../../errors/app-error.js';
import { ZId, ZTeamName, type PublicTeam } from '../../types/schemas.js';
import { TEAM_SETTINGS_ADMIN_REQUIRED } from '../../universal/permissions.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens.js';
import { parseInput } from '../validate.js';
import { assertTeamAdmin, lockTeam } from './get-team-role.js';

type TeamChangeOptions = { db: Db; clock: Clock; userId: number; teamId: number; audit?: AuditContext };

/** A new name for the team (its slug, in its pages' addresses, stays). */
export async function renameTeam(options: TeamChangeOptions & { name: string }): Promise<PublicTeam> {
  const { db, clock, userId } = options;
  const teamId = parseInput(ZId, options.teamId, AppErrorCode.INVALID_REQUEST);
  const name = parseInput(ZTeamName, options.name);
  await assertTeamAdmin(db, teamId, userId, TEAM_SETTINGS_ADMIN_REQUIRED);
  return db.transaction().execute(async (trx) => {
    await lockTeam(trx, teamId);
    const before = await trx.selectFrom('teams').select('name').where('id', '=', teamId).executeTakeFirstOrThrow();
    const team = await trx
      .updateTable('teams')
      .set({ name })
      .where('id', '=', teamId)
      .returning(['id', 'name', 'slug'])
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      type: 'team.renamed',
      ...auditFields(options),
      owner: { kind: 'team', teamId },
      details: { name, previousName: before.name },
      at: clock.now(),
    });
    return team;
  });
}

/** Deletes the team and revokes its tokens; answers how many tokens stopped working. */
export async function deleteTeam(options: TeamChangeOptions): Promise<{ revokedTokens: number }> {
  const { db, clock, userId } = options;
  const teamId = parseInput(ZId, options.teamId, AppErrorCode.INVALID_REQUEST);
  await assertTeamAdmin(db, teamId, userId, TEAM_SETTINGS_ADMIN_REQUIRED);
  return db.transaction().execute(async (trx) => {
    await lockTeam(trx, teamId);
    const tokens = await trx.deleteFrom('api_tokens').where('team_id', '=', teamId).returning('id').execute();
    // Its members go with it (foreign key); every server drops the team's tokens at once.
    const team = await trx
      .deleteFrom('teams')
      .where('id', '=', teamId)
      .returning(['name', 'slug'])
      .executeTakeFirstOrThrow();
    await invalidateApiTokens(trx, { teamId });
    await recordAuditEvent(trx, {
      type: 'team.deleted',
      ...auditFields(options),
      owner: { kind: 'user', userId },
      details: { teamId, name: team.name, slug: team.slug, revokedTokens: tokens.length },
      at: clock.now(),
    });
    return { revokedTokens: tokens.length };
  });
}
