// A token's usage: requests per hour over 7 days or per day over 90 days (its predecessors' too,
// when it was made by rotation), totals and failures, and the last client addresses. Shown on the
// token's page and in the usage dialog of the token list. The chart loads when it is first shown.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';
import { formatDateTime } from '../tokens/format-token-times';
import { errorMessage, useTRPC } from '../trpc';
import { spikesOf } from './spikes';

const UsageChart = lazy(() => import('./usage-chart'));

const DAY = 24 * 60 * 60 * 1000;
const CHART_HEIGHT = 220;

type Range = 'hour' | 'day';

export function TokenUsage({
  tokenId,
  teamId,
  headingLevel = 3,
}: {
  tokenId: number;
  teamId: number | null;
  /** The level of "Recent addresses": 3 in the dialog, 2 on the token's page. */
  headingLevel?: 2 | 3;
}) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>('hour');
  // One fixed "now" per showing, so the query key (and the chart) stay put.
  const [now] = useState(() => Date.now());
  const hourly = useQuery(
    trpc.apiToken.usage.queryOptions({
      id: tokenId,
      teamId,
      granularity: 'hour',
      from: new Date(now - 7 * DAY),
      to: new Date(now),
    }),
  );
  const daily = useQuery({
    ...trpc.apiToken.usage.queryOptions({
      id: tokenId,
      teamId,
      granularity: 'day',
      from: new Date(now - 89 * DAY),
      to: new Date(now),
    }),
    enabled: range === 'day',
  });
  const usage = range === 'hour' ? hourly : daily;
  const rangeText = range === 'hour' ? 'per hour over 7 days' : 'per day over 90 days';
  // The spike rule is about hours: 5× the 7-day hourly average.
  const average = hourly.data ? hourly.data.total.requests / hourly.data.buckets.length : null;
  const spikes = useMemo(
    () => (hourly.data && average !== null ? spikesOf(hourly.data.buckets, average) : []),
    [hourly.data, average],
  );
  const Heading = headingLevel === 2 ? 'h2' : 'h3';

  return (
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
          <p className="empty-title">No requests yet</p>
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
          <Suspense fallback={<div className="usage-chart-placeholder" style={{ height: CHART_HEIGHT }} />}>
            <UsageChart
              buckets={usage.data.buckets}
              average={range === 'hour' ? average : null}
              label={`${usage.data.total.requests} requests, ${usage.data.total.failed} failed, ${rangeText}`}
            />
          </Suspense>
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
          <Heading className="section-heading">Recent addresses</Heading>
          <div className="compact-table-frame">
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
                      <code className="address" title={r.ip}>
                        {r.ip}
                      </code>
                    </td>
                    <td className="cell-truncate" title={r.userAgent ?? undefined}>
                      {r.userAgent ?? '—'}
                    </td>
                    <td>{formatDateTime(r.lastSeenAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
