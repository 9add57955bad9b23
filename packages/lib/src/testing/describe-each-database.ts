// Runs a suite once on SQLite and once on PostgreSQL, each with a fresh database. When PostgreSQL
// is missing the PostgreSQL suite fails under CI=true and is skipped, with the reason, elsewhere.
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import {
  createTestDatabase,
  postgresUnavailableReason,
  type TestDatabase,
  type TestDatabaseKind,
} from './test-databases.js';

const KINDS: TestDatabaseKind[] = ['sqlite', 'postgres'];

/** `migrate: false` leaves the databases empty (for tests of the migrations themselves). */
export function describeEachDatabase(
  name: string,
  suite: (getDatabase: () => TestDatabase) => void,
  { migrate = true }: { migrate?: boolean } = {},
): void {
  for (const kind of KINDS) {
    describe(`${name} [${kind}]`, () => {
      let database: TestDatabase | undefined;
      let unavailable: string | null = null;

      beforeAll(async () => {
        if (kind === 'postgres') {
          unavailable = await postgresUnavailableReason();
          if (unavailable) {
            if (process.env.CI === 'true') throw new Error(`${unavailable} (CI=true: PostgreSQL tests must run)`);
            console.warn(`SKIPPED PostgreSQL suite "${name}": ${unavailable}`);
            return;
          }
        }
        database = await createTestDatabase(kind, { migrate });
      });
      beforeEach((context) => {
        if (unavailable) context.skip();
      });
      afterAll(async () => {
        await database?.drop();
      });

      // Each test reaches the database through this getter; with PostgreSQL missing outside CI it skips.
      suite(() => {
        if (!database) throw new Error(unavailable ?? 'test database not ready');
        return database;
      });
    });
  }
}
