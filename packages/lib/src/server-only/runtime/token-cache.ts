// The verified-token cache of one runtime (`createLatchkey`): what the verifier's lookup returned, by
// token hash, the least recently used out past `TOKEN_CACHE_SIZE`. It holds facts (the row), never a
// verdict: expiry, the grace period's end and the owner are judged on every request from the clock.
//
// It must never answer for a token that a write has ended:
// - a write in this process drops the entries inside its transaction and again once it has
//   committed (`invalidateApiTokens` tells every cache subscribed to the database, see
//   `subscribeToRevocations`), and every drop moves `generation`, so a lookup that began before a
//   drop does not put back what it read;
// - other processes' writes are read from the revocation log: on a SQLite file when the file's
//   `data_version` moved (looked at, at most once a millisecond, by the check itself); on
//   PostgreSQL by the runtime's watcher (`watchRevocations`: LISTEN, plus a poll every 500 ms). On
//   PostgreSQL the cache serves only while the watcher's last poll is recent, so a stopped or
//   failing watcher makes every check read the database instead of trusting old entries.
import { LRUCache } from 'lru-cache';
import { engineOf } from '../../db/database-engine.js';
import type { Db } from '../../db/create-database.js';
import { dataVersionReader, needsChangeListener } from '../../db/change-signals.js';
import { definePreparedQuery } from '../../db/prepared-query.js';

export type InvalidationTarget = { tokenIds: readonly number[] } | { userId: number } | { teamId: number };

/** What an entry must tell about its token for a target to find it. */
export type CachedTokenKeys = { id: number; userId: number | null; teamId: number | null; createdBy: number | null };

/** How far back (database time) a poll looks for log rows committed out of id order. */
const LOOKBACK_MS = 10_000;
/** Without a successful read of the log for this long, rows may have been purged: start over. */
const LOG_GAP_MS = 10 * 60_000;
/** How often the check asks SQLite whether the file changed. */
const DATA_VERSION_EVERY_MS = 1;
/** How long after a watcher's poll began its entries may be served without another poll. */
export const WATCHED_FRESH_MS = 900;

export type RevocationLogRow = { id: number; kind: 'tokens' | 'user' | 'team'; ids: string; created_at: number };

const LOG_SINCE = definePreparedQuery('revocation_log_since', (db, p: { afterId: number; since: number }) =>
  db
    .selectFrom('revocation_log')
    .select(['id', 'kind', 'ids', 'created_at'])
    .where((eb) => eb.or([eb('id', '>', p.afterId), eb('created_at', '>', p.since)]))
    .orderBy('id'),
);

const LOG_END = definePreparedQuery('revocation_log_end', (db, _p: { none?: never }) =>
  db.selectFrom('revocation_log').select((eb) => [eb.fn.max('id').as('id'), eb.fn.max('created_at').as('created_at')]),
);

export class ApiTokenCache<E extends CachedTokenKeys = CachedTokenKeys> {
  /** Moves on every drop; a lookup stores its row only if it has not moved since the lookup began. */
  generation = 0;
  private readonly entries: LRUCache<string, E>;
  private readonly hashById = new Map<number, string>();

  // Where the revocation log has been read up to.
  private primed = false;
  private afterId = 0;
  private newestAt = 0;
  private readonly seen = new Map<number, number>();
  private lastReadAt = -Infinity;

  // SQLite file: the data_version the log was last read for.
  private readonly dataVersion: (() => number) | undefined;
  private appliedVersion: number | undefined;
  private nextVersionLook = -Infinity;
  private refreshing: Promise<void> | null = null;

  // PostgreSQL: running watchers and until when their last poll vouches for the entries.
  private readonly needsWatcher: boolean;
  watchers = 0;
  freshUntil = -Infinity;

  constructor(
    private readonly db: Db,
    readonly maxEntries: number,
  ) {
    this.entries = new LRUCache<string, E>({
      max: maxEntries,
      dispose: (entry, hash) => {
        if (this.hashById.get(entry.id) === hash) this.hashById.delete(entry.id);
      },
    });
    this.dataVersion = dataVersionReader(db);
    this.needsWatcher = needsChangeListener(db);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Whether entries may be served and stored now: true; false (read the database, store nothing);
   * or a promise, while the log is being read, after which to ask again.
   */
  readiness(): boolean | Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.dataVersion) {
      const now = performance.now();
      if (now < this.nextVersionLook) return true;
      this.nextVersionLook = now + DATA_VERSION_EVERY_MS;
      const version = this.dataVersion();
      if (version === this.appliedVersion) return true;
      return this.refresh().then(() => {
        this.appliedVersion = version;
      });
    }
    if (this.needsWatcher) return this.watchers > 0 && this.primed && performance.now() < this.freshUntil;
    // An in-memory database: no other process can write to it.
    return true;
  }

  get(hash: string): E | undefined {
    return this.entries.get(hash);
  }

  /** Stores what a lookup begun at `generation` read, unless something was dropped since. */
  add(hash: string, entry: E, generation: number): void {
    if (generation !== this.generation) return;
    this.entries.set(hash, entry);
    this.hashById.set(entry.id, hash);
  }

  drop(target: InvalidationTarget): void {
    this.generation++;
    if ('tokenIds' in target) {
      for (const id of target.tokenIds) {
        const hash = this.hashById.get(id);
        if (hash !== undefined) this.entries.delete(hash);
      }
      return;
    }
    const matches =
      'userId' in target
        ? (entry: E) => entry.userId === target.userId || entry.createdBy === target.userId
        : (entry: E) => entry.teamId === target.teamId;
    const doomed: string[] = [];
    for (const [hash, entry] of this.entries.entries()) if (matches(entry)) doomed.push(hash);
    for (const hash of doomed) this.entries.delete(hash);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.hashById.clear();
  }

  /** Applies one row of the revocation log (from a poll or a notification), once. */
  apply(row: RevocationLogRow): void {
    if (this.seen.has(row.id)) return;
    this.seen.set(row.id, row.created_at);
    if (row.id > this.afterId) this.afterId = row.id;
    if (row.created_at > this.newestAt) this.newestAt = row.created_at;
    const ids = parseIds(row.ids);
    if (!ids) return this.clear();
    if (row.kind === 'tokens') this.drop({ tokenIds: ids });
    else if (row.kind === 'user') this.drop({ userId: ids[0]! });
    else this.drop({ teamId: ids[0]! });
  }

  /** Reads the revocation log since the last read and drops what it names. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readLog().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async readLog(): Promise<void> {
    const startedAt = performance.now();
    if (!this.primed || startedAt - this.lastReadAt > LOG_GAP_MS) {
      // Nothing this cache holds predates its first read; after a long gap, start over.
      const end = await LOG_END.first(this.db, {});
      if (this.primed) this.clear();
      this.afterId = Math.max(this.afterId, end?.id ?? 0);
      this.newestAt = Math.max(this.newestAt, end?.created_at ?? 0);
      this.primed = true;
    } else {
      const rows = await LOG_SINCE.all(this.db, { afterId: this.afterId, since: this.newestAt - LOOKBACK_MS });
      for (const row of rows) this.apply(row);
      for (const [id, at] of this.seen) if (at < this.newestAt - LOOKBACK_MS) this.seen.delete(id);
    }
    this.lastReadAt = startedAt;
  }
}

function parseIds(text: string): number[] | undefined {
  try {
    const ids = JSON.parse(text) as unknown;
    return Array.isArray(ids) && ids.length > 0 && ids.every((id) => Number.isSafeInteger(id))
      ? (ids as number[])
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `cache` hear of the revocations written through `db` in this process, at once (inside the
 * writing transaction and again at its commit); returns the unsubscribe. `db` must come from
 * `createDatabase`.
 */
export function subscribeToRevocations(db: Db, cache: ApiTokenCache): () => void {
  const engine = engineOf(db);
  if (!engine) throw new Error('the token cache needs a database made by createDatabase');
  engine.revocationSubscribers.add(cache);
  return () => engine.revocationSubscribers.delete(cache);
}
