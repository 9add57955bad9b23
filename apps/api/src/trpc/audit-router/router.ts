import { router } from '../trpc';
import { getAuditEvents } from './get-audit-events';

export const auditRouter = router({ getMany: getAuditEvents });
