// X-RateLimit-* headers: of the limits a request was counted against, the one with least room.
import type { Response } from 'express';
import { AppError, AppErrorCode, type RateLimitResult } from '@latchkey/lib';
import { sendError } from './send-error';

export function setRateLimitHeaders(res: Response, result: RateLimitResult): void {
  const shown = res.locals.rateLimit as RateLimitResult | undefined;
  if (shown && result.allowed && (shown.remaining < result.remaining || sameHeaders(shown, result))) return;
  res.locals.rateLimit = result;
  res.setHeader('X-RateLimit-Limit', String(result.limit));
  res.setHeader('X-RateLimit-Remaining', String(result.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(result.resetAt / 1000)));
}

/** Whether `a` and `b` would write the same three headers (so writing `b` over `a` changes nothing). */
function sameHeaders(a: RateLimitResult, b: RateLimitResult): boolean {
  return (
    a.remaining === b.remaining && a.limit === b.limit && Math.ceil(a.resetAt / 1000) === Math.ceil(b.resetAt / 1000)
  );
}

export function sendTooManyRequests(res: Response, result: RateLimitResult): void {
  setRateLimitHeaders(res, result);
  res.setHeader('Retry-After', String(result.retryAfterSeconds));
  sendError(res, new AppError(AppErrorCode.TOO_MANY_REQUESTS));
}
