// A token's own page (`/settings/tokens/:id`, `/t/:slug/settings/tokens/:id`): what it is and may
// do, where it may be used from, its usage, its own events, and its rotation lineage with links both
// ways. Rotate and Delete are here as in the list; after a rotation the page follows to the new token.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { TEAM_ADMIN_REQUIRED } from '@latchkey/lib/universal';
import { AuditEventList } from '../audit/audit-event-list';
import { useNow } from '../components/use-now';
import { Link, navigate, paths } from '../router';
import { errorCode, errorMessage, useTRPC, type RouterOutputs, type TeamWithRole } from '../trpc';
import { TokenUsage } from '../usage/token-usage';
import { DeleteTokenDialog } from './delete-token-dialog';
import { describeExpiry, formatDateTime, formatLastUsed } from './format-token-times';
import { RotateTokenDialog } from './rotate-token-dialog';

type TokenDetail = RouterOutputs['apiToken']['get'];

const STATUS_BADGES = {
  active: { text: 'Active', className: 'badge-active' },
  retiring: { text: 'Retiring', className: 'badge-retiring' },
  expired: { text: 'Expired', className: 'badge-danger' },
} as const;

export function TokenDetailPage({ team, tokenId }: { team: TeamWithRole | null; tokenId: number }) {
  const listHref = team ? paths.teamTokens(team.slug) : paths.personalTokens;
  const eyebrow = team ? `Team settings · ${team.name}` : 'Personal settings';
  if (team && team.role !== 'ADMIN') {
    return (
      <section aria-labelledby="page-heading">
        <TokenPageHeader eyebrow={eyebrow} title="API token" listHref={listHref} />
        <div className="callout callout-info" role="status">
          <p>
            <strong>{TEAM_ADMIN_REQUIRED}.</strong>
          </p>
        </div>
      </section>
    );
  }
  return <TokenDetail team={team} tokenId={tokenId} eyebrow={eyebrow} listHref={listHref} />;
}

function TokenPageHeader({
  eyebrow,
  title,
  listHref,
  children,
}: {
  eyebrow: string;
  title: string;
  listHref: string;
  children?: React.ReactNode;
}) {
  return (
    <div className="page-header token-page-header">
      <div className="token-page-title">
        <p className="eyebrow">
          <Link href={listHref}>API Tokens</Link> <span aria-hidden="true">›</span> {eyebrow}
        </p>
        <h1 id="page-heading" tabIndex={-1}>
          {title}
        </h1>
      </div>
      {children}
    </div>
  );
}

function TokenDetail({
  team,
  tokenId,
  eyebrow,
  listHref,
}: {
  team: TeamWithRole | null;
  tokenId: number;
  eyebrow: string;
  listHref: string;
}) {
  const trpc = useTRPC();
  const teamId = team?.id ?? null;
  const detail = useQuery(trpc.apiToken.get.queryOptions({ id: tokenId, teamId }));
  // What each scope is for, as the server knows them (the built-in ones and TOKEN_SCOPES_FILE's).
  const scopeDescriptions = useQuery(trpc.apiToken.policy.queryOptions({ teamId })).data?.scopeDescriptions ?? {};
  const [dialog, setDialog] = useState<'rotate' | 'delete' | null>(null);
  const tokenHref = (id: number) => (team ? paths.teamToken(team.slug, id) : paths.personalToken(id));

  if (detail.isPending) {
    return (
      <section aria-labelledby="page-heading" aria-busy="true">
        <TokenPageHeader eyebrow={eyebrow} title="API token" listHref={listHref} />
        <p className="visually-hidden" role="status">
          Loading the token…
        </p>
      </section>
    );
  }
  if (detail.isError) {
    const missing = errorCode(detail.error) === 'NOT_FOUND';
    return (
      <section aria-labelledby="page-heading">
        <TokenPageHeader eyebrow={eyebrow} title={missing ? 'Token not found' : 'API token'} listHref={listHref} />
        <div className="empty-state" role="alert">
          <p className="empty-title">
            {missing ? 'This token does not exist any more, or it is not yours.' : 'Could not load the token'}
          </p>
          {!missing && <p>{errorMessage(detail.error)}</p>}
          <Link href={listHref} className="button">
            Back to the API tokens
          </Link>
        </div>
      </section>
    );
  }

  const { token, lineage } = detail.data;
  return (
    <section aria-labelledby="page-heading" className="token-page">
      <TokenPageHeader eyebrow={eyebrow} title={token.name} listHref={listHref}>
        <div className="token-page-actions">
          {token.status === 'active' && (
            <button type="button" className="button" onClick={() => setDialog('rotate')}>
              Rotate
            </button>
          )}
          <button type="button" className="button button-danger-outline" onClick={() => setDialog('delete')}>
            Delete
          </button>
        </div>
      </TokenPageHeader>

      <TokenFacts detail={detail.data} showCreator={team !== null} />

      <div className="token-sections">
        <section className="card" aria-labelledby="scopes-heading">
          <h2 id="scopes-heading" className="card-title">
            Scopes
          </h2>
          <ul className="scope-descriptions">
            {token.scopes.map((scope) => (
              <li key={scope}>
                <code className="scope">{scope}</code>
                <span className="muted">{scopeDescriptions[scope] ?? 'A scope of this server'}</span>
              </li>
            ))}
          </ul>
        </section>

        <section className="card" aria-labelledby="addresses-heading">
          <h2 id="addresses-heading" className="card-title">
            Allowed addresses
          </h2>
          {token.allowedIps.length === 0 ? (
            <p className="muted">Any address: the token is not limited to some addresses.</p>
          ) : (
            <>
              <p className="muted">Requests from any other address are refused (403) and logged.</p>
              <ul className="address-list" aria-label="Allowed addresses">
                {token.allowedIps.map((entry) => (
                  <li key={entry}>
                    <code className="address" title={entry}>
                      {entry}
                    </code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>

      {(lineage.replaces || lineage.replacedBy) && (
        <section className="card" aria-labelledby="lineage-heading">
          <h2 id="lineage-heading" className="card-title">
            Rotation
          </h2>
          <ul className="lineage">
            {lineage.replacedBy && (
              <li data-testid="replaced-by">
                Replaced by{' '}
                <Link href={tokenHref(lineage.replacedBy.id)}>
                  <code>{lineage.replacedBy.start}…</code>
                </Link>
                {token.status === 'retiring' && ' (this token stops working when its grace period ends)'}
              </li>
            )}
            {lineage.replaces && (
              <li data-testid="replaces">
                Replaces{' '}
                {lineage.replaces.live ? (
                  <Link href={tokenHref(lineage.replaces.id)}>
                    <code>{lineage.replaces.start}…</code>
                  </Link>
                ) : (
                  <>
                    <code>{lineage.replaces.start}…</code> <span className="muted">(no longer exists)</span>
                  </>
                )}
                . Its usage history continues below.
              </li>
            )}
          </ul>
        </section>
      )}

      <section aria-labelledby="usage-heading" className="token-page-section">
        <h2 id="usage-heading">Usage</h2>
        <TokenUsage tokenId={token.id} teamId={teamId} />
      </section>

      <TokenActivity tokenId={token.id} predecessorId={lineage.replaces?.id ?? null} teamId={teamId} />

      {dialog === 'rotate' && (
        <RotateTokenDialog
          token={token}
          teamId={teamId}
          onClose={() => setDialog(null)}
          onRotated={(id) => navigate(tokenHref(id))}
        />
      )}
      {dialog === 'delete' && (
        <DeleteTokenDialog
          token={token}
          teamId={teamId}
          onClose={() => setDialog(null)}
          onDeleted={() => navigate(listHref)}
        />
      )}
    </section>
  );
}

/** Status, dates, last use and creator, as a definition list. */
function TokenFacts({ detail, showCreator }: { detail: TokenDetail; showCreator: boolean }) {
  const now = useNow();
  const { token } = detail;
  const expiry = describeExpiry(token.expiresAt, now, token.status);
  return (
    <dl className="token-facts card">
      <div>
        <dt>Token</dt>
        <dd>
          <code>{token.start}…</code>
        </dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`badge ${STATUS_BADGES[token.status].className}`}>{STATUS_BADGES[token.status].text}</span>
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          {formatDateTime(token.createdAt)}
          {showCreator && token.createdBy && <span className="cell-sub">by {token.createdBy.name}</span>}
        </dd>
      </div>
      <div>
        <dt>Expires</dt>
        <dd title={expiry.kind === 'never' ? undefined : expiry.title}>
          {token.expiresAt ? formatDateTime(token.expiresAt) : 'Never'}
        </dd>
      </div>
      <div>
        <dt>Last used</dt>
        <dd title={token.lastUsedAt ? formatDateTime(token.lastUsedAt) : undefined}>
          {formatLastUsed(token.lastUsedAt, now)}
        </dd>
      </div>
      {token.breaksPolicy && (
        <div className="token-facts-wide">
          <dt>Token policy</dt>
          <dd>
            <span className="badge badge-warning badge-policy">
              {token.breaksPolicy.charAt(0).toUpperCase() + token.breaksPolicy.slice(1)}
            </span>
          </dd>
        </div>
      )}
    </dl>
  );
}

/** The token's events, and its predecessor's (whose rotation made this token), newest first. */
function TokenActivity({
  tokenId,
  predecessorId,
  teamId,
}: {
  tokenId: number;
  predecessorId: number | null;
  teamId: number | null;
}) {
  const trpc = useTRPC();
  const own = useQuery(trpc.audit.getMany.queryOptions({ teamId, tokenId, limit: 20 }));
  const before = useQuery({
    ...trpc.audit.getMany.queryOptions({ teamId, tokenId: predecessorId ?? 0, limit: 20 }),
    enabled: predecessorId !== null,
  });
  const pending = own.isPending || (predecessorId !== null && before.isPending);
  const error = own.error ?? before.error;
  const events = [...(own.data?.events ?? []), ...(before.data?.events ?? [])].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
  );
  return (
    <section aria-labelledby="activity-heading" className="token-page-section">
      <h2 id="activity-heading">Activity</h2>
      {error ? (
        <p className="callout callout-error" role="alert">
          {errorMessage(error)}
        </p>
      ) : pending ? (
        <p className="muted" role="status">
          Loading the token’s events…
        </p>
      ) : events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <AuditEventList events={events} label="Events of this token" />
      )}
    </section>
  );
}
