// A suite that needs something outside the test process (Redis, a redis-server binary, PostgreSQL):
// when one is missing it fails under CI=true and is skipped, with the reason, elsewhere.
import { beforeAll, beforeEach, describe } from 'vitest';

export type AvailabilityCheck = () => Promise<string | null>;

export type AvailableSuite = {
  /** `beforeAll` that runs only when everything needed is there (the suite is skipped otherwise). */
  setup: (fn: () => Promise<void> | void, timeoutMs?: number) => void;
};

export function describeWhenAvailable(
  name: string,
  checks: AvailabilityCheck[],
  suite: (available: AvailableSuite) => void,
): void {
  describe(name, () => {
    let unavailable: string | null = null;
    beforeAll(async () => {
      for (const check of checks) {
        unavailable = await check();
        if (unavailable) break;
      }
      if (!unavailable) return;
      if (process.env.CI === 'true') throw new Error(`${unavailable} (CI=true: these tests must run)`);
      console.warn(`SKIPPED "${name}": ${unavailable}`);
    });
    beforeEach((context) => {
      if (unavailable) context.skip();
    });
    suite({
      setup(fn, timeoutMs) {
        beforeAll(async () => {
          if (!unavailable) await fn();
        }, timeoutMs);
      },
    });
  });
}
