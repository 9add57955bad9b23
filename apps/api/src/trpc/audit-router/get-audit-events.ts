import { getAuditEvents as getAuditEventsInLib, ZAuditEventFilters, ZAuditEventPage, ZTeamId } from '@latchkey/lib';
import { authenticatedProcedure } from '../trpc';

export const ZGetAuditEventsRequest = ZAuditEventFilters.extend({ teamId: ZTeamId });

export const getAuditEvents = authenticatedProcedure
  .input(ZGetAuditEventsRequest)
  .output(ZAuditEventPage)
  .query(({ ctx, input }) => getAuditEventsInLib({ db: ctx.db, userId: ctx.user.id, ...input }));
