// The session cookie. Under an https PUBLIC_URL it is `__Host-latchkey_session`: the browser then
// keeps it only if it is Secure, for Path=/ and with no Domain, so neither a sibling subdomain nor
// a plain-http page can set or overwrite it (a planted session). Elsewhere, e.g. http on localhost,
// where a Secure cookie would not be kept, it is `latchkey_session`.
import type { Request, Response } from 'express';
import type { Config } from '../config';

export const SESSION_COOKIE = 'latchkey_session';
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

function httpsPublicUrl(config: Config): boolean {
  return config.publicUrl?.startsWith('https:') ?? false;
}

/** The name the session cookie has on this server; only that one is read. */
export function sessionCookieName(config: Config): string {
  return httpsPublicUrl(config) ? HOST_SESSION_COOKIE : SESSION_COOKIE;
}

function secure(req: Request, config: Config): boolean {
  return req.secure || httpsPublicUrl(config);
}

export function setSessionCookie(
  req: Request,
  res: Response,
  config: Config,
  sessionId: string,
  expiresAt: Date,
): void {
  res.cookie(sessionCookieName(config), sessionId, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(req, config),
    path: '/',
    expires: expiresAt,
  });
  clearUnprefixedCookie(req, res, config);
}

export function clearSessionCookie(req: Request, res: Response, config: Config): void {
  res.clearCookie(sessionCookieName(config), {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(req, config),
    path: '/',
  });
  clearUnprefixedCookie(req, res, config);
}

/** A `latchkey_session` from before the `__Host-` name is no longer read: it goes at the next sign-in or sign-out. */
function clearUnprefixedCookie(req: Request, res: Response, config: Config): void {
  if (sessionCookieName(config) === SESSION_COOKIE || !readCookie(req, SESSION_COOKIE)) return;
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(req, config), path: '/' });
}

/** The value of the first cookie called `name` in the request, or null. */
export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The session id from this server's session cookie, or null when it is missing or malformed. */
export function readSessionCookie(req: Request, config: Config): string | null {
  const value = readCookie(req, sessionCookieName(config));
  return value !== null && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
}
