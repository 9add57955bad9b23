// A token's usage, opened from its row: requests per hour over 7 days or per day over 90 days,
// totals and failures, the last client addresses, and the token's audit events.
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { ApiTokenMetadata } from '@latchkey/lib/types';
import { AuditEventList } from '../audit/audit-event-list';
import { Dialog } from '../components/dialog';
import { formatDateTime } from '../tokens/format-token-times';
import { errorMessage, useTRPC } from '../trpc';
import { spikesOf, UsageChart } from './usage-chart';

const DAY = 24 * 60 * 60 * 1000;

type Range = 'hour' | 'day';

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
  const [range, setRange] = useState<Range>('hour');
  // One fixed "now" per opening, so the query key (and the chart) stay put while it is open.
  const [now] = useState(() => Date.now());
  const hourly = useQuery(
    trpc.apiToken.usage.queryOptions({
      id: token.id,
      teamId,
      granularity: 'hour',
      from: new Date(now - 7 * DAY),
      to: new Date(now),
    }),
  );
  const daily = useQuery({
    ...trpc.apiToken.usage.queryOptions({
      id: token.id,
      teamId,
      granularity: 'day',
      from: new Date(now - 89 * DAY),
      to: new Date(now),
    }),
    enabled: range === 'day',
  });
  const events = useQuery({
    ...trpc.audit.getMany.queryOptions({ teamId, tokenId: token.id, limit: 20 }),
    enabled: canSeeAudit,
  });
  const usage = range === 'hour' ? hourly : daily;
  const rangeText = range === 'hour' ? 'per hour over 7 days' : 'per day over 90 days';
  // The spike rule is about hours: 5× the 7-day hourly average.
  const average = hourly.data ? hourly.data.total.requests / hourly.data.buckets.length : null;
  const spikes = useMemo(
    () => (hourly.data && average !== null ? spikesOf(hourly.data.buckets, average) : []),
    [hourly.data, average],
  );

  return (
    <Dialog title={`Usage of ${token.name}`} onClose={onClose}>
      <div className="usage-view">
        <div className="segmented" role="group" aria-label="Period">
          <button
            type="button"
            className="button button-small"
            aria-pressed={range === 'hour'}
            onClick={() => setRange('hour')}
          >
            7 days, hourly
          </button>
          <button
            type="button"
            className="button button-small"
            aria-pressed={range === 'day'}
            onClick={() => setRange('day')}
          >
            90 days, daily
          </button>
        </div>
        {usage.isPending ? (
          <p role="status" className="muted usage-placeholder">
            Loading usage…
          </p>
        ) : usage.isError ? (
          <p role="alert" className="callout callout-error">
            {errorMessage(usage.error)}
          </p>
        ) : usage.data.total.requests === 0 ? (
          <div className="empty-state usage-placeholder">
            <h3>No requests yet</h3>
            <p>Requests made with this token appear here within a minute.</p>
          </div>
        ) : (
          <>
            <dl className="usage-totals">
              <div>
                <dt>Requests</dt>
                <dd data-testid="usage-total">{usage.data.total.requests.toLocaleString('en-US')}</dd>
              </div>
              <div>
                <dt>Failed</dt>
                <dd data-testid="usage-failed">{usage.data.total.failed.toLocaleString('en-US')}</dd>
              </div>
            </dl>
            <UsageChart
              buckets={usage.data.buckets}
              average={range === 'hour' ? average : null}
              label={`${usage.data.total.requests} requests, ${usage.data.total.failed} failed, ${rangeText}`}
            />
            {range === 'hour' && spikes.length > 0 && (
              <p className="callout callout-warning" data-testid="usage-spikes">
                {spikes.length === 1 ? 'One hour' : `${spikes.length} hours`} above 5× the hourly average:{' '}
                {spikes
                  .slice(-3)
                  .map((s) => `${formatDateTime(s.start)} (${s.requests})`)
                  .join(', ')}
              </p>
            )}
          </>
        )}
        {usage.data && usage.data.recentIps.length > 0 && (
          <>
            <h3>Recent addresses</h3>
            <table className="compact-table" aria-label="Recent addresses">
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">User agent</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {usage.data.recentIps.map((r) => (
                  <tr key={r.ip}>
                    <td>
                      <code>{r.ip}</code>
                    </td>
                    <td className="cell-truncate" title={r.userAgent ?? undefined}>
                      {r.userAgent ?? '—'}
                    </td>
                    <td>{formatDateTime(r.lastSeenAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {canSeeAudit && events.data && events.data.events.length > 0 && (
          <>
            <h3>Events</h3>
            <AuditEventList events={events.data.events} label="Events of this token" />
          </>
        )}
      </div>
    </Dialog>
  );
}
