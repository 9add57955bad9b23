import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId, ZUpdateTeamPolicyInput, type TeamPolicy } from '../../types/schemas.js';
import { TEAM_POLICY_ADMIN_REQUIRED } from '../../universal/permissions.js';
import { BUILTIN_SCOPES } from '../../universal/scopes.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { teamPolicyOfRow } from '../public-api/token-policy.js';
import { isOperator, operatorAuditContext, type UserOrOperator } from '../operator.js';
import { parseInput } from '../validate.js';
import { assertTeamAdminOrOperator, lockTeam } from './get-team-role.js';

export type UpdateTeamPolicyOptions = {
  db: Db;
  clock: Clock;
  teamId: number;
  /** Absent: unchanged; null: no limit. */
  maxLifetimeDays?: number | null;
  allowedScopes?: readonly string[] | null;
  /** Every scope this deployment knows; a policy may allow only these. */
  knownScopes?: readonly string[];
  audit?: AuditContext;
} & UserOrOperator;

/**
 * Sets a team's token policy (ADMIN, or the operator). It applies to tokens made from now on; existing tokens
 * keep their expiry and scopes, and the token list marks those that break it.
 */
export async function updateTeamPolicy(options: UpdateTeamPolicyOptions): Promise<TeamPolicy> {
  const { db, clock } = options;
  const teamId = parseInput(ZId, options.teamId, AppErrorCode.INVALID_REQUEST);
  const input = parseInput(ZUpdateTeamPolicyInput, {
    maxLifetimeDays: options.maxLifetimeDays,
    allowedScopes: options.allowedScopes,
  });
  const known = options.knownScopes ?? BUILTIN_SCOPES;
  if (input.allowedScopes) {
    const unknown = input.allowedScopes.filter((scope) => !known.includes(scope));
    if (unknown.length > 0) {
      const message = `Unknown scope: ${unknown.join(', ')}; known: ${known.join(', ')}`;
      throw new AppError(AppErrorCode.INVALID_BODY, { message, issues: [{ path: 'allowedScopes', message }] });
    }
    if (input.allowedScopes.length === 0) {
      const message = 'allowedScopes must allow at least one scope, or be null for all';
      throw new AppError(AppErrorCode.INVALID_BODY, { message, issues: [{ path: 'allowedScopes', message }] });
    }
  }
  await assertTeamAdminOrOperator(db, teamId, options, TEAM_POLICY_ADMIN_REQUIRED);
  const audit = isOperator(options.actor) ? operatorAuditContext(options.audit) : options.audit;
  return db.transaction().execute(async (trx) => {
    await lockTeam(trx, teamId);
    const before = teamPolicyOfRow(
      await trx
        .selectFrom('teams')
        .select(['policy_max_lifetime_days', 'policy_allowed_scopes'])
        .where('id', '=', teamId)
        .executeTakeFirstOrThrow(),
    );
    const after: TeamPolicy = {
      maxLifetimeDays: input.maxLifetimeDays === undefined ? before.maxLifetimeDays : input.maxLifetimeDays,
      allowedScopes:
        input.allowedScopes === undefined
          ? before.allowedScopes
          : input.allowedScopes && [...new Set(input.allowedScopes)],
    };
    await trx
      .updateTable('teams')
      .set({
        policy_max_lifetime_days: after.maxLifetimeDays,
        policy_allowed_scopes: after.allowedScopes === null ? null : JSON.stringify(after.allowedScopes),
      })
      .where('id', '=', teamId)
      .execute();
    await recordAuditEvent(trx, {
      type: 'team.policy_updated',
      ...auditFields({ audit, userId: options.userId }),
      owner: { kind: 'team', teamId },
      details: { before, after },
      at: clock.now(),
    });
    return after;
  });
}
