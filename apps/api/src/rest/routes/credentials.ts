// Leak reports: anyone may send tokens they found; every live one among them is deleted. The answer
// is the same whether or not anything matched, so the route cannot be used to test tokens.
import { AppError, AppErrorCode, revokeLeakedApiTokens, ZRestLeakReport, ZRestLeakReportAccepted } from '@latchkey/lib';
import { clientIp, clientLimitKey } from '../../http/client-ip';
import { setRateLimitHeaders } from '../../http/rate-limit-headers';
import { defineRoute } from '../define-route';

const HOUR = 60 * 60 * 1000;

export const revokeCredentials = defineRoute({
  method: 'post',
  path: '/credentials/revoke',
  operationId: 'revokeCredentials',
  tag: 'Leaked tokens',
  summary: 'Report leaked tokens; every one that is live is deleted at once',
  description:
    'Needs no token. Send 1 to 1000 strings; ones that are not well-formed tokens are skipped. ' +
    'The answer is 202 whether or not anything matched. ' +
    'Limited per client address and hour (RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR).',
  access: { public: true },
  body: ZRestLeakReport,
  // 1000 tokens with JSON quoting and commas, and room for white space.
  bodyLimit: 64 * 1024,
  responses: { 202: { description: 'Accepted', schema: ZRestLeakReportAccepted } },
  handle: async ({ deps: { db, clock, limiter, credentialRevokePerHour }, body, req, res }) => {
    const rule = { name: 'credential-revoke', limit: credentialRevokePerHour, windowMs: HOUR };
    const limit = await limiter.hit(rule, clientLimitKey(req));
    setRateLimitHeaders(res, limit);
    if (!limit.allowed) {
      res.setHeader('Retry-After', String(limit.retryAfterSeconds));
      throw new AppError(AppErrorCode.TOO_MANY_REQUESTS);
    }
    await revokeLeakedApiTokens({
      db,
      clock,
      credentials: body.credentials,
      ip: clientIp(req) ?? null,
      userAgent: req.headers['user-agent'] ?? null,
    });
    return { status: 202, body: { status: 'accepted' as const } };
  },
});
