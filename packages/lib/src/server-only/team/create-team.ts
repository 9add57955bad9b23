import { z } from 'zod';
import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZTeamName, ZTeamSlug, type PublicTeam } from '../../types/schemas.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../../db/errors.js';
import { parseInput } from '../validate.js';

export const ZCreateTeamInput = z.object({ name: ZTeamName, slug: ZTeamSlug });

/** A new team with its creator as ADMIN. A taken slug is a CONFLICT. */
export async function createTeam({
  db,
  clock,
  userId,
  audit,
  ...input
}: {
  db: Db;
  clock: Clock;
  userId: number;
  name: string;
  slug: string;
  /** Who acts and from where, for the `team.created` event. */
  audit?: AuditContext;
}): Promise<PublicTeam> {
  const { name, slug } = parseInput(ZCreateTeamInput, input);
  const now = clock.now();
  try {
    return await db.transaction().execute(async (trx) => {
      const team = await trx
        .insertInto('teams')
        .values({ name, slug, created_at: now })
        .returning(['id', 'name', 'slug'])
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('team_members')
        .values({ team_id: team.id, user_id: userId, role: 'ADMIN', created_at: now })
        .execute();
      await recordAuditEvent(trx, {
        type: 'team.created',
        ...auditFields({ userId, audit }),
        owner: { kind: 'team', teamId: team.id },
        details: { name, slug },
        at: now,
      });
      return team;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError(AppErrorCode.CONFLICT, { message: 'A team with this slug already exists' });
    throw error;
  }
}
