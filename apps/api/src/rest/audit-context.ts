// Who acts in a REST call and from where, for the audit events the library records.
import type { Request } from 'express';
import type { AuditActor, AuditContext } from '@latchkey/lib';
import { clientIp } from '../http/client-ip';

export function auditContextOf(req: Request, actor?: AuditActor): AuditContext {
  const token = req.apiToken;
  return {
    actor: actor ?? (token ? { kind: 'token', id: token.id, name: token.name } : undefined),
    ip: clientIp(req) ?? null,
    userAgent: req.headers['user-agent'] ?? null,
  };
}
