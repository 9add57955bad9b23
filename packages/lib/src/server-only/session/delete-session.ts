import type { Db } from '../../db/create-database';
import { hashSecret } from '../hash';

export async function deleteSession({ db, sessionId }: { db: Db; sessionId: string }): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashSecret(sessionId)).execute();
}
