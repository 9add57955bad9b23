// The Activity page: the audit log of the signed-in user (personal) or of a team (its ADMINs only),
// newest first, filtered by event type, a page at a time.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { AUDIT_EVENT_TYPES_BY_OWNER, type AuditEventType } from '@latchkey/lib/universal';
import { errorCode, errorMessage, useTRPC } from '../trpc';
import { AuditEventList, describeAuditEventType } from './audit-event-list';
import { PageHeader } from '../components/page-header';

type Team = { id: number; name: string; slug: string; role: 'ADMIN' | 'MANAGER' | 'MEMBER' };

export function ActivityPage({ team }: { team: Team | null }) {
  const trpc = useTRPC();
  const [type, setType] = useState<string>('');
  const isAdmin = team === null || team.role === 'ADMIN';
  const events = useInfiniteQuery({
    ...trpc.audit.getMany.infiniteQueryOptions(
      {
        teamId: team?.id ?? null,
        type: (type || undefined) as AuditEventType | undefined,
        limit: 50,
      },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
    enabled: isAdmin,
  });
  const all = events.data?.pages.flatMap((page) => page.events) ?? [];

  return (
    <section aria-labelledby="page-heading">
      <PageHeader eyebrow={team ? `Team settings · ${team.name}` : 'Personal settings'} title="Activity">
        {team
          ? `Changes to the tokens and members of ${team.name}, and signs that a token leaked.`
          : 'Sign-ins, changes to your personal tokens, and signs that a token leaked.'}
      </PageHeader>
      {!isAdmin ? (
        <div className="callout callout-info" role="status">
          <p>
            <strong>You need to be a team admin to see the team&apos;s activity.</strong>
          </p>
        </div>
      ) : (
        <>
          <div className="toolbar">
            <label className="field-inline">
              <span>Event</span>
              <select
                className="select"
                value={type}
                onChange={(event) => setType(event.target.value)}
                aria-label="Event type"
              >
                <option value="">All events</option>
                {/* Only what this log can hold: no team changes in a personal log, no sign-ins in a team's. */}
                {AUDIT_EVENT_TYPES_BY_OWNER[team ? 'team' : 'user'].map((t) => (
                  <option key={t} value={t}>
                    {describeAuditEventType(t)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {events.isPending ? (
            <p role="status" className="muted">
              Loading activity…
            </p>
          ) : events.isError ? (
            <div className="empty-state" role="alert">
              <h2>{errorCode(events.error) === 'FORBIDDEN' ? 'Team admins only' : 'Could not load the activity'}</h2>
              <p>{errorMessage(events.error)}</p>
            </div>
          ) : all.length === 0 ? (
            <div className="empty-state">
              <h2>No activity yet</h2>
              <p>
                {type ? 'No events of this type.' : 'Events appear here as tokens are created, rotated and deleted.'}
              </p>
            </div>
          ) : (
            <>
              <AuditEventList events={all} label="Audit events" />
              {events.hasNextPage && (
                <button
                  type="button"
                  className="button"
                  onClick={() => void events.fetchNextPage()}
                  disabled={events.isFetchingNextPage}
                >
                  {events.isFetchingNextPage ? 'Loading…' : 'Show older events'}
                </button>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
