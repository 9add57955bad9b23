// The request check as express middleware. The REST API uses it, and so can any other express
// app: `const auth = createApiTokenAuth({ db, clock }); app.get('/x', auth.requireApiToken('x:read'), …)`.
import type { Request, RequestHandler, Response } from 'express';
import {
  AppError,
  AppErrorCode,
  checkApiTokenAfterMiss,
  checkCachedApiToken,
  MemoryRateLimitStore,
  MISSING_TOKEN,
  INVALID_TOKEN,
  ownerKey,
  IP_REFUSAL_REPORT_INTERVAL_MS,
  recordIpRefusal,
  parseAuthorizationHeader,
  RateLimiter,
  type Clock,
  type Db,
  type LastUsedTracker,
  type RetiredTokenReuseDetector,
  type RateLimitResult,
  type RateLimitRule,
  type ThreeLimits,
  type VerifiedApiToken,
  withLimit,
} from '@latchkey/lib';
import { clientAddressOf, clientIp, clientLimitKey, UNKNOWN_LIMIT_KEY } from '../http/client-ip';
import { sendError } from '../http/send-error';
import { sendTooManyRequests, setRateLimitHeaders } from '../http/rate-limit-headers';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `requireApiToken` once the request's token has passed every check. */
      apiToken?: VerifiedApiToken;
    }
  }
}

export type ApiTokenRateLimits = { ipPerMinute: number; ownerPerMinute: number; authFailuresPerMinute: number };

export type ApiTokenAuthOptions = {
  db: Db;
  clock: Clock;
  /** Batches `lastUsedAt` writes and usage counts; without one, uses are not recorded. */
  lastUsed?: LastUsedTracker;
  /** Spots rotated-away tokens presented again (`token.reused_after_rotation`). */
  retiredTokens?: RetiredTokenReuseDetector;
  limits?: Partial<ApiTokenRateLimits>;
  /** Counters; pass the app's limiter to share them, or leave it out for a private in-memory one. */
  rateLimiter?: RateLimiter;
};

const MINUTE = 60_000;

export const ADDRESS_NOT_ALLOWED = 'This token may not be used from this address';

export function createApiTokenAuth(options: ApiTokenAuthOptions) {
  const { db, clock, lastUsed, retiredTokens } = options;
  const limiter = options.rateLimiter ?? new RateLimiter(new MemoryRateLimitStore(clock), clock);
  const ipRule: RateLimitRule = { name: 'api-ip', limit: options.limits?.ipPerMinute ?? 1000, windowMs: MINUTE };
  const ownerRule: RateLimitRule = {
    name: 'api-owner',
    limit: options.limits?.ownerPerMinute ?? 1000,
    windowMs: MINUTE,
  };
  const failureRule: RateLimitRule = {
    name: 'api-auth-failures',
    limit: options.limits?.authFailuresPerMinute ?? 30,
    windowMs: MINUTE,
  };

  // When this process last asked the database to record a refusal, per token: a token hammered from
  // the wrong address costs one write a minute at most, not one per request.
  const lastIpRefusal = new Map<number, number>();

  function reportIpRefusal(req: Request, token: VerifiedApiToken) {
    const now = clock.now();
    const last = lastIpRefusal.get(token.id);
    if (last !== undefined && now - last < IP_REFUSAL_REPORT_INTERVAL_MS) return;
    if (lastIpRefusal.size >= 10_000) lastIpRefusal.clear();
    lastIpRefusal.set(token.id, now);
    const ip = clientIp(req) ?? null;
    recordIpRefusal({ db, clock, token, ip, userAgent: req.headers['user-agent'] ?? null }).catch(() => {
      // Losing one audit event must not turn the 403 into a 500; the next minute tries again.
      lastIpRefusal.delete(token.id);
    });
  }

  // One listener for every request (no closure each): a request that passed the check and was then
  // answered 4xx/5xx (scope, limits, a route's error) counts as failed.
  function countFailureOnFinish(this: Response) {
    if (this.statusCode >= 400) lastUsed!.fail(this.locals.usageTokenId as number);
  }

  /**
   * Answers 401 and counts the failure against the address, unless it was `counted` already (an
   * attempt that needed a lookup is counted before it).
   */
  async function refuse(
    req: Request,
    res: Response,
    message: string,
    headerMissing: boolean,
    counted?: RateLimitResult,
  ) {
    const failures = counted ?? (await limiter.hit(failureRule, clientLimitKey(req)));
    if (!res.locals.rateLimit) setRateLimitHeaders(res, failures);
    res.setHeader(
      'WWW-Authenticate',
      headerMissing ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"',
    );
    sendError(res, new AppError(AppErrorCode.UNAUTHORIZED, { message }));
  }

  /**
   * Counts every request against the per-IP limit; put it before the routes. It reads the address's
   * auth-failure count in the same round trip, for `requireApiToken` to use instead of asking again.
   */
  const rateLimitByIp: RequestHandler = (req, res, next) => {
    const key = clientLimitKey(req);
    return withLimit(limiter.hitAndCheck(ipRule, key, failureRule, key), ([result, failures]) => {
      if (!result.allowed) return sendTooManyRequests(res, result);
      setRateLimitHeaders(res, result);
      res.locals.authFailures = failures;
      next();
    });
  };

  /** The address's auth-failure room: read by `rateLimitByIp` when it ran, asked for otherwise. */
  function failureRoom(req: Request, res: Response): RateLimitResult | Promise<RateLimitResult> {
    return (res.locals.authFailures as RateLimitResult | undefined) ?? limiter.check(failureRule, clientLimitKey(req));
  }

  /**
   * The checks after the token's own: its owner's limit, its address list, its scopes. Lets the
   * request on (`next`) or answers it; `failed` is told of an answer here when the caller counts
   * failures itself (`requireApiToken` counts them when the response finishes).
   */
  function admit(
    req: Request,
    res: Response,
    next: () => void,
    token: VerifiedApiToken,
    owner: RateLimitResult,
    scopes: readonly string[],
    failed?: (token: VerifiedApiToken) => void,
  ) {
    if (!owner.allowed) {
      failed?.(token);
      return sendTooManyRequests(res, owner);
    }
    setRateLimitHeaders(res, owner);
    // The address as the rate limits see it (express's trust-proxy rules), normalised: X-Forwarded-For
    // counts only when TRUST_PROXY says so.
    if (!token.isAllowedIp(clientIp(req))) {
      failed?.(token);
      reportIpRefusal(req, token);
      return sendError(res, new AppError(AppErrorCode.FORBIDDEN, { message: ADDRESS_NOT_ALLOWED }));
    }
    for (const scope of scopes) {
      if (token.scopes.includes(scope)) continue;
      failed?.(token);
      const missing = scopes.filter((needed) => !token.scopes.includes(needed));
      return sendError(
        res,
        new AppError(AppErrorCode.FORBIDDEN, { message: `This token lacks the scope ${missing.join(', ')}` }),
      );
    }
    req.apiToken = token;
    next();
  }

  /** Counts a request that passed the token check and was then refused, or failed in its route. */
  function countFailure(token: VerifiedApiToken): void {
    lastUsed?.fail(token.id);
  }

  /**
   * Counts the request against its address and checks the address's failures (429 past either);
   * then `next`.
   */
  function limitAddress(res: Response, key: string, next: () => unknown): unknown {
    return withLimit(limiter.hitAndCheck(ipRule, key, failureRule, key), ([address, failures]) => {
      if (!address.allowed) return sendTooManyRequests(res, address);
      setRateLimitHeaders(res, address);
      if (!failures.allowed) return sendTooManyRequests(res, failures);
      return next();
    });
  }

  // The counted lookups under way, by token hash (see `shareLookup`); an entry lives as long as its
  // lookup, so the map holds at most as many as there are requests in flight.
  const lookups = new Map<string, Promise<void>>();

  /**
   * Remembers `work`, a counted lookup of the token with this hash, while it runs: a request that
   * presents the same token meanwhile waits for it and then finds the token in the cache, instead of
   * counting an attempt and asking the database again. So a client that sends many requests at once
   * with a token this server has not seen yet (after a start) uses one lookup, and one attempt of its
   * failure budget, not one each.
   */
  function shareLookup(hash: string, work: unknown): unknown {
    if (!(work instanceof Promise)) return work;
    const forget = () => {
      if (lookups.get(hash) === done) lookups.delete(hash);
    };
    const done: Promise<void> = work.then(forget, forget);
    lookups.set(hash, done);
    return work;
  }

  /**
   * The REST API's way in for a route that needs a token, in place of `rateLimitByIp` followed by
   * `requireApiToken`, with the same answers. A token the cache knows is judged with no I/O, and
   * its address, the address's failures and its owner are then counted in one round trip to the
   * store. A token it does not know is counted first, against its address and as an attempt against
   * the address's failure budget, in one round trip, before the database is asked: parallel requests
   * with made-up tokens cannot get more lookups than the budget, and a flood of them stays away from
   * the database. When the token turns out valid the attempt is given back (not waited for) and its
   * owner counted. Calls `admitted` once every check passed; answers the request itself otherwise.
   * A failure after `admitted` is the caller's to count, with `countFailure`. `waited`: the request
   * already waited for another one's lookup of its token.
   */
  function authenticate(
    req: Request,
    res: Response,
    scopes: readonly string[],
    admitted: () => void,
    waited = false,
  ): unknown {
    const client = clientAddressOf(req);
    const key = client?.limitKey ?? UNKNOWN_LIMIT_KEY;
    const header = parseAuthorizationHeader(req.headers.authorization);
    if (!header.ok) {
      const missing = header.reason === 'missing';
      return limitAddress(res, key, () => refuse(req, res, missing ? MISSING_TOKEN : INVALID_TOKEN, missing));
    }
    const options = {
      db,
      clock,
      token: header.token,
      lastUsed,
      retiredTokens,
      ip: client?.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
    };
    const check = checkCachedApiToken(options);
    if (check.ok === true) {
      const { token } = check;
      return withLimit(
        limiter.hitCheckThenHit(ipRule, key, failureRule, key, ownerRule, ownerKey(token.owner)),
        ([address, failures, owner]: ThreeLimits) => {
          if (!address.allowed || !failures.allowed) {
            countFailure(token);
            if (address.allowed) setRateLimitHeaders(res, address);
            return sendTooManyRequests(res, address.allowed ? failures : address);
          }
          setRateLimitHeaders(res, address);
          admit(req, res, admitted, token, owner!, scopes, countFailure);
        },
      );
    }
    if (check.ok === false) return limitAddress(res, key, () => refuse(req, res, check.message, false));
    const pending = waited ? undefined : lookups.get(check.hash);
    if (pending !== undefined) {
      const again = () => authenticate(req, res, scopes, admitted, true);
      return pending.then(again, again);
    }
    const work = withLimit(limiter.hitThenHit(ipRule, key, failureRule, key), ([address, attempt]) => {
      if (!address.allowed) return sendTooManyRequests(res, address);
      setRateLimitHeaders(res, address);
      if (!attempt!.allowed) return sendTooManyRequests(res, attempt!);
      return checkApiTokenAfterMiss(options, check).then((found) => {
        if (!found.ok) return refuse(req, res, found.message, false, attempt!);
        void limiter.refund(failureRule, key, attempt!);
        return withLimit(limiter.hit(ownerRule, ownerKey(found.token.owner)), (owner) =>
          admit(req, res, admitted, found.token, owner, scopes, countFailure),
        );
      });
    });
    return shareLookup(check.hash, work);
  }

  /** Lets the request through only with a valid token holding every one of `scopes`. */
  function requireApiToken(...scopes: string[]): RequestHandler {
    return (req, res, next) => guard(req, res, next, scopes, false);
  }

  /**
   * `requireApiToken`'s check, with its address already counted by `rateLimitByIp`: the same rules
   * as `authenticate`, a lookup counted against the failure budget before it is made.
   */
  function guard(req: Request, res: Response, next: () => void, scopes: readonly string[], waited: boolean): unknown {
    return withLimit(failureRoom(req, res), (failures) => {
      // Past the failure limit every request from the address waits, so a valid token cannot be
      // told apart from an invalid one by its answer.
      if (!failures.allowed) return sendTooManyRequests(res, failures);

      const header = parseAuthorizationHeader(req.headers.authorization);
      if (!header.ok)
        return refuse(
          req,
          res,
          header.reason === 'missing' ? MISSING_TOKEN : INVALID_TOKEN,
          header.reason === 'missing',
        );

      // The check counts an accepted request from this client in `lastUsed`; the client is also
      // named if a rotated-away token comes back (`token.reused_after_rotation`).
      const userAgent = req.headers['user-agent'] ?? null;
      const options = { db, clock, token: header.token, lastUsed, retiredTokens, ip: clientIp(req) ?? null, userAgent };
      const accept = (token: VerifiedApiToken) => {
        if (lastUsed) {
          res.locals.usageTokenId = token.id;
          // A response finishes once: `on` rather than `once`, which would wrap the listener.
          res.on('finish', countFailureOnFinish);
        }
        return withLimit(limiter.hit(ownerRule, ownerKey(token.owner)), (owner) =>
          admit(req, res, next, token, owner, scopes),
        );
      };
      const check = checkCachedApiToken(options);
      if (check.ok === true) return accept(check.token);
      if (check.ok === false) return refuse(req, res, check.message, false);
      const pending = waited ? undefined : lookups.get(check.hash);
      if (pending !== undefined) {
        const again = () => guard(req, res, next, scopes, true);
        return pending.then(again, again);
      }
      const key = clientLimitKey(req);
      const work = withLimit(limiter.hit(failureRule, key), (attempt) => {
        if (!attempt.allowed) return sendTooManyRequests(res, attempt);
        return checkApiTokenAfterMiss(options, check).then((found) => {
          if (!found.ok) return refuse(req, res, found.message, false, attempt);
          void limiter.refund(failureRule, key, attempt);
          return accept(found.token);
        });
      });
      return shareLookup(check.hash, work);
    });
  }

  return { rateLimitByIp, requireApiToken, authenticate, countFailure, limiter };
}

export type ApiTokenAuth = ReturnType<typeof createApiTokenAuth>;
