// RateLimiter with MemoryRateLimitStore: fixed windows aligned to the epoch, the request past the
// limit refused, the numbers the headers are made from, and check() that does not count.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import {
  MemoryRateLimitStore,
  RateLimiter,
  type RateLimitRule,
  windowEnd,
} from '../src/server-only/rate-limit/rate-limiter';

const MINUTE = 60_000;
// 12:00:30.250 UTC: a window of a minute ends at 12:01:00.000.
const T = Date.UTC(2026, 0, 1, 12, 0, 30, 250);
const NEXT_MINUTE = Date.UTC(2026, 0, 1, 12, 1, 0, 0);

function limiter(at = T) {
  const clock = new ManualClock(at);
  const store = new MemoryRateLimitStore(clock);
  return { clock, store, limiter: new RateLimiter(store, clock) };
}

const rule: RateLimitRule = { name: 'ip', limit: 3, windowMs: MINUTE };

describe('RateLimiter with MemoryRateLimitStore', () => {
  it('windows end at whole multiples of the window since the epoch, not a window after the first request', () => {
    expect(windowEnd(T, MINUTE)).toBe(NEXT_MINUTE);
    expect(windowEnd(NEXT_MINUTE - 1, MINUTE)).toBe(NEXT_MINUTE);
    expect(windowEnd(NEXT_MINUTE, MINUTE)).toBe(NEXT_MINUTE + MINUTE);
    expect(windowEnd(T, 15 * MINUTE)).toBe(Date.UTC(2026, 0, 1, 12, 15));
  });

  it('allows `limit` requests, counting remaining down to 0, and refuses the next one', async () => {
    const { limiter: l } = limiter();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await l.hit(rule, '203.0.113.7'));
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    for (const r of results) expect(r).toMatchObject({ limit: 3, resetAt: NEXT_MINUTE });
  });

  it('retryAfterSeconds is the whole seconds left in the window, rounded up, and at least 1', async () => {
    const { clock, limiter: l } = limiter();
    expect((await l.hit(rule, 'k')).retryAfterSeconds).toBe(30); // 29.75 s left
    clock.set(NEXT_MINUTE - 1000);
    expect((await l.hit(rule, 'k')).retryAfterSeconds).toBe(1);
    clock.set(NEXT_MINUTE - 1);
    const last = await l.hit(rule, 'k');
    expect(last).toMatchObject({ allowed: true, remaining: 0, retryAfterSeconds: 1, resetAt: NEXT_MINUTE });
    expect((await l.hit(rule, 'k')).allowed).toBe(false);
  });

  it('the next window allows again, from a fresh count, whenever the first request came', async () => {
    const { clock, limiter: l } = limiter(NEXT_MINUTE - 100);
    for (let i = 0; i < 3; i++) await l.hit(rule, 'k');
    expect((await l.hit(rule, 'k')).allowed).toBe(false);

    clock.set(NEXT_MINUTE);
    const fresh = await l.hit(rule, 'k');
    expect(fresh).toMatchObject({ allowed: true, remaining: 2, resetAt: NEXT_MINUTE + MINUTE, retryAfterSeconds: 60 });
  });

  it('a refused request still counts, so hammering does not reopen the window early', async () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 10; i++) await l.hit(rule, 'k');
    clock.set(NEXT_MINUTE - 1);
    expect((await l.hit(rule, 'k')).allowed).toBe(false);
  });

  it('keys and rule names are counted apart', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 3; i++) await l.hit(rule, 'a');
    expect((await l.hit(rule, 'a')).allowed).toBe(false);
    expect((await l.hit(rule, 'b')).remaining).toBe(2);
    expect((await l.hit({ ...rule, name: 'owner' }, 'a')).remaining).toBe(2);
  });

  it('check() reports room without counting', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 10; i++) {
      expect(await l.check(rule, 'k')).toMatchObject({
        allowed: true,
        remaining: 3,
        limit: 3,
        resetAt: NEXT_MINUTE,
        retryAfterSeconds: 30,
      });
    }
    expect((await l.hit(rule, 'k')).remaining).toBe(2);
    expect(await l.check(rule, 'k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('check() says no once `limit` requests were counted, until the window ends', async () => {
    const { clock, limiter: l } = limiter();
    const failures: RateLimitRule = { name: 'auth-failures', limit: 2, windowMs: MINUTE };
    await l.hit(failures, 'ip');
    expect((await l.check(failures, 'ip')).allowed).toBe(true);
    await l.hit(failures, 'ip');
    expect(await l.check(failures, 'ip')).toMatchObject({ allowed: false, remaining: 0 });
    clock.set(NEXT_MINUTE);
    expect(await l.check(failures, 'ip')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('hitAndCheck() counts against the first rule and only reads the second, synchronously in memory', async () => {
    const { limiter: l } = limiter();
    const failures: RateLimitRule = { name: 'auth-failures', limit: 2, windowMs: MINUTE };
    await l.hit(failures, 'ip');
    const both = l.hitAndCheck(rule, 'ip', failures, 'ip');
    expect(both).not.toBeInstanceOf(Promise);
    const [hit, check] = await both;
    expect(hit).toMatchObject({ allowed: true, limit: 3, remaining: 2, resetAt: NEXT_MINUTE });
    expect(check).toMatchObject({ allowed: true, limit: 2, remaining: 1, resetAt: NEXT_MINUTE });
    await l.hit(failures, 'ip');
    const [second, full] = await l.hitAndCheck(rule, 'ip', failures, 'ip');
    expect(second.remaining).toBe(1);
    expect(full).toMatchObject({ allowed: false, remaining: 0 });
    expect((await l.check(failures, 'ip')).remaining).toBe(0);
    expect((await l.check(rule, 'ip')).remaining).toBe(1);
  });

  it('hitCheckThenHit() counts the owner only while the address and its failures have room', async () => {
    const { limiter: l } = limiter();
    const address: RateLimitRule = { name: 'ip', limit: 2, windowMs: MINUTE };
    const failures: RateLimitRule = { name: 'auth-failures', limit: 1, windowMs: MINUTE };
    const owner: RateLimitRule = { name: 'owner', limit: 5, windowMs: MINUTE };
    const first = l.hitCheckThenHit(address, 'a', failures, 'a', owner, 'user:1');
    expect(first).not.toBeInstanceOf(Promise);
    const [ip, failed, counted] = await first;
    expect(ip).toMatchObject({ allowed: true, remaining: 1 });
    expect(failed).toMatchObject({ allowed: true, remaining: 1 });
    expect(counted).toMatchObject({ allowed: true, limit: 5, remaining: 4, resetAt: NEXT_MINUTE });

    // Past the address's failures: refused, and the owner is not charged for it.
    await l.hit(failures, 'b');
    const [, full, skipped] = await l.hitCheckThenHit(address, 'b', failures, 'b', owner, 'user:1');
    expect(full.allowed).toBe(false);
    expect(skipped).toBeNull();
    // Past the address's own limit: the same.
    await l.hitCheckThenHit(address, 'a', failures, 'a', owner, 'user:1');
    const [over, , none] = await l.hitCheckThenHit(address, 'a', failures, 'a', owner, 'user:1');
    expect(over).toMatchObject({ allowed: false, remaining: 0 });
    expect(none).toBeNull();
    // Two requests reached the owner.
    expect((await l.check(owner, 'user:1')).remaining).toBe(3);
  });

  it('hitThenHit() counts the second rule only while the first has room, synchronously in memory', async () => {
    const { limiter: l } = limiter();
    const address: RateLimitRule = { name: 'ip', limit: 2, windowMs: MINUTE };
    const attempts: RateLimitRule = { name: 'auth-failures', limit: 1, windowMs: MINUTE };
    const first = l.hitThenHit(address, 'a', attempts, 'a');
    expect(first).not.toBeInstanceOf(Promise);
    const [ip, attempt] = await first;
    expect(ip).toMatchObject({ allowed: true, limit: 2, remaining: 1, resetAt: NEXT_MINUTE });
    expect(attempt).toMatchObject({ allowed: true, limit: 1, remaining: 0, resetAt: NEXT_MINUTE });
    // The budget is used up by the attempt itself, before any work is done.
    const [, over] = await l.hitThenHit(address, 'a', attempts, 'a');
    expect(over).toMatchObject({ allowed: false, remaining: 0 });
    // Past the address's own limit: the attempt is not counted at all.
    const [refused, skipped] = await l.hitThenHit(address, 'a', attempts, 'a');
    expect(refused.allowed).toBe(false);
    expect(skipped).toBeNull();
    expect((await l.check(attempts, 'a')).remaining).toBe(0);
    expect(await l.hit({ ...attempts, limit: 10 }, 'a')).toMatchObject({ remaining: 7 });
  });

  it('hitThenHit() lets exactly `limit` of many attempts started together through', async () => {
    const { limiter: l } = limiter();
    const address: RateLimitRule = { name: 'ip', limit: 1000, windowMs: MINUTE };
    const attempts: RateLimitRule = { name: 'auth-failures', limit: 30, windowMs: MINUTE };
    // 2000 attempts at once, none of which has finished its work (and so refunded or failed) yet.
    const results = await Promise.all(
      Array.from({ length: 2000 }, async () => (await l.hitThenHit(address, 'a', attempts, 'a'))[1]),
    );
    expect(results.filter((r) => r?.allowed)).toHaveLength(30);
  });

  it('refund() gives one back in the window it was counted in, never below 0, nothing in a later one', async () => {
    const { clock, limiter: l } = limiter();
    const attempts: RateLimitRule = { name: 'auth-failures', limit: 2, windowMs: MINUTE };
    const first = await l.hit(attempts, 'a');
    const second = await l.hit(attempts, 'a');
    expect((await l.check(attempts, 'a')).allowed).toBe(false);
    const refunded = l.refund(attempts, 'a', second);
    expect(refunded).toBeUndefined();
    expect(await l.check(attempts, 'a')).toMatchObject({ allowed: true, remaining: 1 });
    await l.refund(attempts, 'a', first);
    await l.refund(attempts, 'a', first);
    expect((await l.check(attempts, 'a')).remaining).toBe(2);
    expect((await l.hit(attempts, 'a')).remaining).toBe(1);

    // A refund of the last window's attempt does not give the new window room it never used.
    const late = await l.hit(attempts, 'a');
    clock.set(NEXT_MINUTE);
    await l.hit(attempts, 'a');
    await l.hit(attempts, 'a');
    await l.refund(attempts, 'a', late);
    expect(await l.check(attempts, 'a')).toMatchObject({ allowed: false, remaining: 0 });
    // And a refund for a key with no counter makes none.
    await l.refund(attempts, 'b', late);
    expect((await l.check(attempts, 'b')).remaining).toBe(2);
  });

  it('the store forgets finished windows, so memory holds only current keys', async () => {
    const { clock, store, limiter: l } = limiter();
    for (let i = 0; i < 50; i++) await l.hit(rule, `client-${i}`);
    expect(store.size).toBe(50);
    clock.set(NEXT_MINUTE + 10_000);
    await l.hit(rule, 'late');
    expect(store.size).toBe(1);
  });

  it('works with any window length, e.g. 15 minutes for sign-in failures', async () => {
    const { clock, limiter: l } = limiter();
    const signIn: RateLimitRule = { name: 'sign-in', limit: 1, windowMs: 15 * MINUTE };
    expect(await l.hit(signIn, 'ip|mail')).toMatchObject({ allowed: true, resetAt: Date.UTC(2026, 0, 1, 12, 15) });
    clock.set(Date.UTC(2026, 0, 1, 12, 14, 59));
    expect(await l.hit(signIn, 'ip|mail')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.set(Date.UTC(2026, 0, 1, 12, 15));
    expect((await l.hit(signIn, 'ip|mail')).allowed).toBe(true);
  });
});
