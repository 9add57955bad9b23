// Every secret a suite handles (plain tokens, passwords, session ids) goes in a ledger; the suite
// then proves that none of them appears in any log line it captured or in any database column.
import { sql } from 'kysely';
import type { Db } from '@latchkey/lib';

export type SecretKind = 'token' | 'password' | 'session';

const TOKEN_SHAPE = /api_[0-9A-Za-z]{36}/g;

/** `text` with every percent-encoding undone, as often as it was applied, and `+` read as a space. */
function decodeFully(text: string): string {
  let decoded = text.replace(/\+/g, ' ');
  for (let round = 0; round < 4; round += 1) {
    const next = decoded.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === decoded) break;
    decoded = next;
  }
  return decoded;
}

export const TABLES = ['users', 'sessions', 'teams', 'team_members', 'api_tokens'] as const;

export class SecretLedger {
  private readonly tokens = new Set<string>();
  private readonly others = new Map<string, SecretKind>();

  add(kind: SecretKind, value: string | null | undefined): void {
    if (!value) return;
    if (kind === 'token') this.tokens.add(value);
    else this.others.set(value, kind);
  }

  get size(): number {
    return this.tokens.size + this.others.size;
  }

  count(kind: SecretKind): number {
    if (kind === 'token') return this.tokens.size;
    return [...this.others.values()].filter((k) => k === kind).length;
  }

  /**
   * The secrets found in `text`, as `kind: first characters…` (never the whole secret): as they
   * are, and percent-encoded however many times (`api%5F…`, `%2561pi_…`, `+` for a space).
   */
  findIn(text: string): string[] {
    const found = new Set<string>();
    for (const spelling of [text, decodeFully(text)]) {
      for (const match of spelling.matchAll(TOKEN_SHAPE)) {
        if (this.tokens.has(match[0])) found.add(`token: ${match[0].slice(0, 8)}…`);
      }
      for (const [value, kind] of this.others) {
        if (spelling.includes(value)) found.add(`${kind}: ${value.slice(0, 4)}…`);
      }
    }
    return [...found];
  }

  /** Every row of every table, as text, with the secrets found in each table. */
  async findInDatabase(db: Db): Promise<{ rowsScanned: number; found: string[] }> {
    let rowsScanned = 0;
    const found: string[] = [];
    for (const table of TABLES) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
      rowsScanned += rows.length;
      for (const hit of this.findIn(JSON.stringify(rows))) found.push(`${table}: ${hit}`);
    }
    return { rowsScanned, found };
  }
}
