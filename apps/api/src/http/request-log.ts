// One structured log line per request, with a request id. Headers are never logged, and anything
// shaped like an API token in the URL is masked, so no secret reaches the log at any level.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { clientIp } from './client-ip';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
    }
  }
}

const TOKEN_LIKE = /api_[0-9A-Za-z]{6,}/g;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function maskSecrets(text: string): string {
  return text.replace(TOKEN_LIKE, 'api_[REDACTED]');
}

/** The URL as logged: tRPC carries procedure input (a password, say) in the query string, so it is left out. */
function loggedUrl(originalUrl: string): string {
  const query = originalUrl.indexOf('?');
  const url =
    query >= 0 && originalUrl.startsWith('/api/trpc') ? `${originalUrl.slice(0, query)}?[REDACTED]` : originalUrl;
  return maskSecrets(url).slice(0, 500);
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
