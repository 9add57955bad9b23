// A token's usage, opened from the sparkline in its row: the usage view and the token's audit events.
import { useQuery } from '@tanstack/react-query';
import type { ApiTokenMetadata } from '@latchkey/lib/types';
import { AuditEventList } from '../audit/audit-event-list';
import { Dialog } from '../components/dialog';
import { useTRPC } from '../trpc';
import { TokenUsage } from './token-usage';

export function TokenUsageDialog({
  token,
  teamId,
  canSeeAudit,
  onClose,
}: {
  token: ApiTokenMetadata;
  teamId: number | null;
  canSeeAudit: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const events = useQuery({
    ...trpc.audit.getMany.queryOptions({ teamId, tokenId: token.id, limit: 20 }),
    enabled: canSeeAudit,
  });
  return (
    <Dialog title={`Usage of ${token.name}`} onClose={onClose}>
      <div className="usage-dialog-body">
        <TokenUsage tokenId={token.id} teamId={teamId} />
        {canSeeAudit && events.data && events.data.events.length > 0 && (
          <>
            <h3 className="section-heading">Events</h3>
            <AuditEventList events={events.data.events} label="Events of this token" />
          </>
        )}
      </div>
    </Dialog>
  );
}
