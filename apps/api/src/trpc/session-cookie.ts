import type { Request, Response } from 'express';
import type { Config } from '../config';
import { SESSION_COOKIE } from './trpc';

function secure(req: Request, config: Config): boolean {
  return req.secure || (config.publicUrl?.startsWith('https:') ?? false);
}

export function setSessionCookie(
  req: Request,
  res: Response,
  config: Config,
  sessionId: string,
  expiresAt: Date,
): void {
  res.cookie(SESSION_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(req, config),
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(req: Request, res: Response, config: Config): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(req, config), path: '/' });
}
