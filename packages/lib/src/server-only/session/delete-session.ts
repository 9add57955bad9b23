import type { Db } from '../../db/create-database.js';
import { hashSecret } from '../hash.js';

export async function deleteSession({ db, sessionId }: { db: Db; sessionId: string }): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashSecret(sessionId)).execute();
}
