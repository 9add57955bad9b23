// The embedding side of the consumer: @latchkey/lib opens the server's database (the SQLite file)
// and checks a token the way the server does. Kept to this one file, so it follows the library's
// entry point for checking tokens when that changes.
import { checkApiToken, createDatabase, systemClock } from '@latchkey/lib';

export type LibCheck = { ok: true; tokenId: number; userId: number | null } | { ok: false; message: string };

export async function checkWithLib(databaseFile: string, token: string): Promise<LibCheck> {
  const db = createDatabase(databaseFile);
  try {
    const result = await checkApiToken({ db, clock: systemClock, token });
    if (!result.ok) return { ok: false, message: result.message };
    return { ok: true, tokenId: result.token.id, userId: result.token.user?.id ?? null };
  } finally {
    await db.destroy();
  }
}
