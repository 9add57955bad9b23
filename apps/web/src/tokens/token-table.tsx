// The token list. While loading it shows skeleton rows of the same height, so nothing jumps when data arrives.
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
  /** The address each token was last used from, shown on hover over "Last used". */
  lastIps?: Record<number, string>;
};

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
}: TokenTableProps) {
  return (
    <div className="table-frame">
      <table className="token-table" aria-busy={tokens === null} aria-label="API tokens">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
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
}: { token: TokenListItem; now: number; showCreator: boolean; daily?: number[]; lastIp?: string } & Pick<
  TokenTableProps,
  'onRotate' | 'onDelete' | 'onShowUsage'
>) {
  const week = daily ?? [0, 0, 0, 0, 0, 0, 0];
  const weekTotal = week.reduce((sum, n) => sum + n, 0);
  const expiry = describeExpiry(token.expiresAt, now, token.status);
  return (
    <tr data-token-id={token.id}>
      <td data-label="Name" className="cell-name">
        <span className="token-name">{token.name}</span>
        <code className="token-start" title="The first characters of the token">
          {token.start}…
        </code>
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
        <ul className="scope-list" aria-label={`Scopes of ${token.name}`}>
          {token.scopes.map((scope) => (
            <li key={scope}>
              <code className="scope">{scope}</code>
            </li>
          ))}
        </ul>
      </td>
      <td data-label="Created" className="cell-nowrap" title={formatDateTime(token.createdAt)}>
        {formatDate(token.createdAt)}
        {showCreator && token.createdBy && <span className="cell-sub">by {token.createdBy.name}</span>}
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
        className="cell-nowrap"
        title={token.lastUsedAt ? `${formatDateTime(token.lastUsedAt)}${lastIp ? ` from ${lastIp}` : ''}` : undefined}
      >
        {token.lastUsedAt ? (
          formatLastUsed(token.lastUsedAt, now)
        ) : (
          <span className="not-used">{formatLastUsed(null, now)}</span>
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
        Only from <code>{all}</code>
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
            <code>{entry}</code>
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
        <span className="skeleton" style={{ width: '5.5rem' }} />
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
