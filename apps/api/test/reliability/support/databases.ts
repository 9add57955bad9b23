// For hooks inside `describeEachDatabase`: the suite's database, or null when PostgreSQL is missing
// outside CI (the suite's tests are then skipped with the reason; under CI=true the suite fails).
import type { TestDatabase } from '@latchkey/lib/testing';

export function databaseIfAvailable(getDatabase: () => TestDatabase): TestDatabase | null {
  try {
    return getDatabase();
  } catch {
    return null;
  }
}
