// The embedding side of the consumer: @latchkey/lib's runtime opens the server's database (the SQLite
// file, refused if it has no Latchkey schema) and checks a token with the one verifier the server uses.
import { createLatchkey } from '@latchkey/lib';

export type LibCheck = { ok: true; tokenId: number; userId: number | null } | { ok: false; message: string };

export async function checkWithLib(databaseFile: string, token: string): Promise<LibCheck> {
  const latchkey = await createLatchkey({ database: databaseFile });
  try {
    const verdict = await latchkey.verify(token, { ip: '127.0.0.1' });
    if (!verdict.ok) return { ok: false, message: verdict.message };
    return { ok: true, tokenId: verdict.token.id, userId: verdict.token.user?.id ?? null };
  } finally {
    await latchkey.close();
  }
}
