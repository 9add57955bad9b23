// X-RateLimit-* headers: of the limits a request was counted against, the one with least room.
import type { Response } from 'express';
import { AppError, AppErrorCode, shownLimit, type RateLimitResult, type VerifyRefusal } from '@latchkey/lib';
import { sendError } from './send-error';

export function setRateLimitHeaders(res: Response, result: RateLimitResult): void {
  const shown = res.locals.rateLimit as RateLimitResult | undefined;
  if (shownLimit(shown, result) === shown) return;
  res.locals.rateLimit = result;
  res.setHeader('X-RateLimit-Limit', String(result.limit));
  res.setHeader('X-RateLimit-Remaining', String(result.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(result.resetAt / 1000)));
}

/** A verifier's refusal as the REST API answers it: its status, `{code, message}` and its headers. */
export function sendRefusal(res: Response, refusal: VerifyRefusal): void {
  if (refusal.rateLimit) setRateLimitHeaders(res, refusal.rateLimit);
  if (refusal.retryAfter !== undefined) res.setHeader('Retry-After', String(refusal.retryAfter));
  if (refusal.wwwAuthenticate) res.setHeader('WWW-Authenticate', refusal.wwwAuthenticate);
  res.status(refusal.status).json({ code: refusal.code, message: refusal.message });
}

export function sendTooManyRequests(res: Response, result: RateLimitResult): void {
  setRateLimitHeaders(res, result);
  res.setHeader('Retry-After', String(result.retryAfterSeconds));
  sendError(res, new AppError(AppErrorCode.TOO_MANY_REQUESTS));
}
