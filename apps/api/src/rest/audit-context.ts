// The requesting token as the actor of the audit events a REST call records, with where it came from.
import type { Request } from 'express';
import type { AuditContext, VerifiedApiToken } from '@latchkey/lib';
import { clientIp } from '../http/client-ip';

export function restAuditContext(req: Request, token: VerifiedApiToken): AuditContext {
  return {
    actor: { kind: 'token', id: token.id, name: token.name },
    ip: clientIp(req) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
  };
}
