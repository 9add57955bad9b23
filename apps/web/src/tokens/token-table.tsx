// The token list. While loading it shows skeleton rows of the same height, so nothing jumps when data arrives.
// Six columns fit the content width at 1280 px (856 px): the columns have fixed widths but the name's,
// a long scope list shows its first two and a count, and an address range never breaks inside.
import { Link } from '../router';
import type { TokenListItem } from '../trpc';
import { Sparkline } from '../usage/sparkline';
import { describeExpiry, formatDate, formatDateTime, formatLastUsed } from './format-token-times';
import { describeAllowedIps } from './policy-text';

type TokenTableProps = {
  /** null while loading. */
  tokens: TokenListItem[] | null;
  now: number;
  showCreator: boolean;
  onRotate: (token: TokenListItem) => void;
  onDelete: (token: TokenListItem) => void;
  /** Requests per day over the last week, by token id (a token with none is absent). */
  sparklines?: Record<number, number[]>;
  onShowUsage?: (token: TokenListItem) => void;
  /** The address each token was last used from, shown under "Last used". */
  lastIps?: Record<number, string>;
  /** The address of a token's own page. */
  detailHref: (token: TokenListItem) => string;
};

/** Scopes shown in a row; the rest are counted ("+8 more") and listed on the token's page. */
const SCOPES_SHOWN = 2;

const SKELETON_ROWS = 3;

export function TokenTable({
  tokens,
  now,
  showCreator,
  onRotate,
  onDelete,
  sparklines,
  onShowUsage,
  lastIps,
  detailHref,
}: TokenTableProps) {
  return (
    <div className="table-frame">
      <table className="token-table" aria-busy={tokens === null} aria-label="API tokens">
        <colgroup>
          <col />
          <col className="col-scopes" />
          <col className="col-expires" />
          <col className="col-last-used" />
          <col className="col-week" />
          <col className="col-actions" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Last 7 days</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens === null
            ? Array.from({ length: SKELETON_ROWS }, (_, i) => <SkeletonRow key={i} />)
            : tokens.map((token) => (
                <TokenRow
                  key={token.id}
                  token={token}
                  now={now}
                  showCreator={showCreator}
                  onRotate={onRotate}
                  onDelete={onDelete}
                  daily={sparklines?.[token.id]}
                  lastIp={lastIps?.[token.id]}
                  onShowUsage={onShowUsage}
                  href={detailHref(token)}
                />
              ))}
        </tbody>
      </table>
      {tokens === null && (
        <p className="visually-hidden" role="status">
          Loading API tokens…
        </p>
      )}
    </div>
  );
}

function TokenRow({
  token,
  now,
  showCreator,
  onRotate,
  onDelete,
  daily,
  lastIp,
  onShowUsage,
  href,
}: {
  token: TokenListItem;
  now: number;
  showCreator: boolean;
  daily?: number[];
  lastIp?: string;
  href: string;
} & Pick<TokenTableProps, 'onRotate' | 'onDelete' | 'onShowUsage'>) {
  const week = daily ?? [0, 0, 0, 0, 0, 0, 0];
  const weekTotal = week.reduce((sum, n) => sum + n, 0);
  const expiry = describeExpiry(token.expiresAt, now, token.status);
  return (
    <tr data-token-id={token.id}>
      <td data-label="Name" className="cell-name">
        <Link href={href} className="token-name">
          {token.name}
        </Link>
        <span className="token-meta">
          <code className="token-start" title="The first characters of the token">
            {token.start}…
          </code>
          <span className="cell-sub" title={formatDateTime(token.createdAt)}>
            {' '}
            · Created {formatDate(token.createdAt)}
            {showCreator && token.createdBy && ` by ${token.createdBy.name}`}
          </span>
        </span>
        {token.allowedIps.length > 0 && <AllowedIps token={token} />}
        {token.breaksPolicy && (
          <span
            className="badge badge-warning badge-policy"
            title={
              'Made before the current token policy. ' +
              'It keeps working, but cannot be rotated as it is: create a new token instead.'
            }
          >
            {token.breaksPolicy.charAt(0).toUpperCase() + token.breaksPolicy.slice(1)}
          </span>
        )}
      </td>
      <td data-label="Scopes" className="cell-scopes">
        <ul className="scope-list" aria-label={`Scopes of ${token.name}`} title={token.scopes.join(', ')}>
          {token.scopes.slice(0, token.scopes.length > SCOPES_SHOWN + 1 ? SCOPES_SHOWN : undefined).map((scope) => (
            <li key={scope}>
              <code className="scope">{scope}</code>
            </li>
          ))}
          {token.scopes.length > SCOPES_SHOWN + 1 && (
            <li className="scope-more">+{token.scopes.length - SCOPES_SHOWN} more</li>
          )}
        </ul>
      </td>
      <td data-label="Expires" className="cell-nowrap">
        {expiry.kind === 'never' ? (
          <span className="expiry-never">{expiry.text}</span>
        ) : expiry.kind === 'date' ? (
          <span title={expiry.title}>{expiry.text}</span>
        ) : expiry.kind === 'retiring' ? (
          <span title={expiry.title}>
            <span className="badge badge-retiring">{expiry.text}</span>
            <span className="cell-sub">{expiry.stops}</span>
          </span>
        ) : (
          <span
            className={`badge ${expiry.kind === 'expired' ? 'badge-danger' : 'badge-warning'}`}
            title={expiry.title}
          >
            {expiry.text}
          </span>
        )}
      </td>
      <td
        data-label="Last used"
        className="cell-last-used"
        title={token.lastUsedAt ? `${formatDateTime(token.lastUsedAt)}${lastIp ? ` from ${lastIp}` : ''}` : undefined}
      >
        {token.lastUsedAt ? (
          <span className="last-used-time">{formatLastUsed(token.lastUsedAt, now)}</span>
        ) : (
          <span className="not-used">{formatLastUsed(null, now)}</span>
        )}
        {token.lastUsedAt && lastIp && (
          <code className="last-used-ip" data-testid="last-used-ip">
            {lastIp}
          </code>
        )}
      </td>
      <td data-label="Last 7 days" className="cell-nowrap">
        <button
          type="button"
          className="link-button"
          onClick={() => onShowUsage?.(token)}
          aria-label={`Usage of ${token.name}`}
        >
          <Sparkline values={week} label={`${weekTotal} requests in the last 7 days`} />
        </button>
      </td>
      <td className="cell-actions">
        {/* Only an active token can be rotated: an expired one is not given a fresh life, and a
            retiring one already has its successor. */}
        {token.status === 'active' && (
          <button
            type="button"
            className="button button-small"
            onClick={() => onRotate(token)}
            aria-label={`Rotate ${token.name}`}
          >
            Rotate
          </button>
        )}
        <button
          type="button"
          className="button button-small button-danger-outline"
          onClick={() => onDelete(token)}
          aria-label={`Delete ${token.name}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

/** The addresses a token may be used from: short in the row, the whole list on hover or when opened. */
function AllowedIps({ token }: { token: TokenListItem }) {
  const all = token.allowedIps.join(', ');
  if (token.allowedIps.length === 1) {
    return (
      <span className="allowed-ips" title={`This token works only from ${all}`}>
        Only from <code className="address">{all}</code>
      </span>
    );
  }
  return (
    <details className="allowed-ips">
      <summary title={all} aria-label={`Only from ${describeAllowedIps(token.allowedIps)}: show them`}>
        Only from {describeAllowedIps(token.allowedIps)}
      </summary>
      <ul aria-label={`Addresses ${token.name} may be used from`}>
        {token.allowedIps.map((entry) => (
          <li key={entry}>
            <code className="address">{entry}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

function SkeletonRow() {
  return (
    <tr className="skeleton-row" aria-hidden="true">
      <td className="cell-name">
        <span className="skeleton" style={{ width: '9rem' }} />
        <span className="skeleton skeleton-small" style={{ width: '5rem' }} />
      </td>
      <td>
        <span className="skeleton" style={{ width: '7rem' }} />
      </td>
      <td>
        <span className="skeleton" style={{ width: '5rem' }} />
      </td>
      <td>
        <span className="skeleton" style={{ width: '6rem' }} />
      </td>
      <td>
        <span className="skeleton" style={{ width: '4.5rem' }} />
      </td>
      <td className="cell-actions">
        <span className="skeleton skeleton-button" />
        <span className="skeleton skeleton-button" />
      </td>
    </tr>
  );
}
