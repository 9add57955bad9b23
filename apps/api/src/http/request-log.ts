// One structured log line per request, with a request id. Headers are never logged, and every
// secret a URL may carry is masked however it is spelled (see loggedUrl), so no secret reaches the
// log at any level.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { clientIp } from './client-ip';
import { isUnder, TRPC_PREFIX } from './under-path';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
    }
  }
}

const TOKEN_LIKE = /api_[0-9A-Za-z]{6,}/gi;
/**
 * A value as long and as plain as a random secret (a session id, an invitation's or a client's
 * secret: 32 bytes or more in base64 or hex), and unlike a word or a team's slug, with a digit or a
 * capital in it.
 */
const OPAQUE = /^(?=.*[0-9A-Z])[A-Za-z0-9_~+/=-]{32,}$/;
/** Query keys whose values are secrets, or (tRPC's `input`) may hold one. */
const SECRET_KEY = /pass|pwd|secret|token|key|auth|session|cookie|credential|sig|input/i;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function maskSecrets(text: string): string {
  return text.replace(TOKEN_LIKE, 'api_[REDACTED]');
}

/**
 * Percent-decoding undone, as often as it was done (`%255F` is `%5F` is `_`), so that no spelling
 * hides a secret from the masks; a sequence that is not UTF-8 is read byte by byte.
 */
function decodeFully(text: string): string {
  let decoded = text;
  for (let round = 0; round < 4 && /%[0-9A-Fa-f]{2}/.test(decoded); round += 1) {
    decoded = decoded.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      }
    });
  }
  return decoded;
}

/** Control characters written back as escapes: a log line stays one line in any output. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function maskedPath(rawPath: string): string {
  return decodeFully(rawPath)
    .split('/')
    .map((segment) => {
      const masked = maskSecrets(segment);
      return OPAQUE.test(masked) ? '[REDACTED]' : masked;
    })
    .join('/');
}

function maskedQuery(rawQuery: string): string {
  return rawQuery
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const key = decodeFully((equals >= 0 ? pair.slice(0, equals) : pair).replace(/\+/g, ' '));
      if (equals < 0) return maskSecrets(key);
      const value = decodeFully(pair.slice(equals + 1).replace(/\+/g, ' '));
      const secret = SECRET_KEY.test(key) || OPAQUE.test(value) || maskSecrets(value) !== value;
      return `${maskSecrets(key)}=${secret ? '[REDACTED]' : value}`;
    })
    .join('&');
}

/**
 * The URL as logged, decoded so that what it says is what is judged: token-shaped or secret-long
 * parts of the path masked, each query value that names or looks like a secret redacted, and the
 * whole query of a tRPC call (its procedure input, a password perhaps) left out, in any case.
 */
function loggedUrl(originalUrl: string): string {
  const query = originalUrl.indexOf('?');
  const path = maskedPath(query >= 0 ? originalUrl.slice(0, query) : originalUrl);
  if (query < 0) return printable(path).slice(0, 500);
  const rest = isUnder(path, TRPC_PREFIX) ? '[REDACTED]' : maskedQuery(originalUrl.slice(query + 1));
  return printable(`${path}?${rest}`).slice(0, 500);
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    // The id goes on every log line, so one shaped like a token (a client's mistake) is replaced.
    req.id =
      typeof incoming === 'string' && REQUEST_ID.test(incoming) && maskSecrets(incoming) === incoming
        ? incoming
        : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    req.log = logger.child({ requestId: req.id });
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'info';
      req.log[level](
        {
          method: req.method,
          url: loggedUrl(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          ip: clientIp(req),
        },
        'request',
      );
    });
    next();
  };
}
