// Headers every response carries. The CSP allows only this origin: the UI and the docs page
// ship their own scripts and styles, nothing from a CDN. No answer of the APIs is kept by a cache
// (a browser's or a proxy's): they carry tokens, sessions and who-may-do-what, errors included.
import type { RequestHandler } from 'express';
import { isUnder, REST_PREFIX, TRPC_PREFIX } from './under-path';

export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  const rest = isUnder(req.path, REST_PREFIX);
  res.setHeader('Cross-Origin-Resource-Policy', rest ? 'cross-origin' : 'same-origin');
  if (rest || isUnder(req.path, TRPC_PREFIX)) res.setHeader('Cache-Control', 'no-store');
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
    ].join('; '),
  );
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  next();
};
