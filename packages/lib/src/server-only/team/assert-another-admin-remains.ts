import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';

/** Call inside a transaction that holds `lockTeam`, before an ADMIN is demoted or removed. */
export async function assertAnotherAdminRemains(trx: Db, teamId: number): Promise<void> {
  const { count } = await trx
    .selectFrom('team_members')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('team_id', '=', teamId)
    .where('role', '=', 'ADMIN')
    .executeTakeFirstOrThrow();
  if (Number(count) <= 1)
    throw new AppError(AppErrorCode.INVALID_REQUEST, { message: 'A team must keep at least one admin' });
}
