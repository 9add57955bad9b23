// The API Tokens page, personal (teamId null) or a team's; team tokens are for team ADMINs only.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { TEAM_ADMIN_REQUIRED } from '@latchkey/lib/universal';
import { useNow } from '../components/use-now';
import { Link, paths } from '../router';
import { errorCode, errorMessage, useTRPC, type TeamWithRole, type TokenListItem } from '../trpc';
import { TokenUsageDialog } from '../usage/token-usage-dialog';
import { CreateTokenDialog } from './create-token-dialog';
import { DeleteTokenDialog } from './delete-token-dialog';
import { RotateTokenDialog } from './rotate-token-dialog';
import { TokenTable } from './token-table';
import { DeleteExpiredTokens, filterInput, TokenFilterChips, type TokenFilter } from './token-filters';
import { PageHeader } from '../components/page-header';

type OpenDialog =
  | { kind: 'create' }
  | { kind: 'delete'; token: TokenListItem }
  | { kind: 'rotate'; token: TokenListItem }
  | { kind: 'usage'; token: TokenListItem }
  | null;

export function ApiTokensPage({ team }: { team: TeamWithRole | null }) {
  const isAdmin = team === null || team.role === 'ADMIN';
  return (
    <section aria-labelledby="page-heading">
      <PageHeader eyebrow={team ? `Team settings · ${team.name}` : 'Personal settings'} title="API Tokens">
        {team
          ? `Tokens that act for the team ${team.name}. Anything they create or change is the team's.`
          : 'Personal tokens act as you when a script, CI job or service calls the API.'}
      </PageHeader>
      {isAdmin ? (
        <TokenManager teamId={team?.id ?? null} teamName={team?.name ?? null} teamSlug={team?.slug ?? null} />
      ) : (
        <div className="callout callout-info" role="status">
          <p>
            <strong>{TEAM_ADMIN_REQUIRED}.</strong>
          </p>
          <p>
            You are a {team.role.toLowerCase()} of {team.name}. Ask one of its admins to create a token for you, or to
            make you an admin. See who they are under <Link href={paths.teamMembers(team.slug)}>Members</Link>.
          </p>
        </div>
      )}
    </section>
  );
}

function TokenManager({
  teamId,
  teamName,
  teamSlug,
}: {
  teamId: number | null;
  teamName: string | null;
  teamSlug: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<TokenFilter>('all');
  const tokens = useQuery(trpc.apiToken.getMany.queryOptions({ teamId, ...filterInput(filter) }));
  const sparklines = useQuery(trpc.apiToken.dailyRequests.queryOptions({ teamId, days: 7 }));
  const [dialog, setDialog] = useState<OpenDialog>(null);
  // The create dialog's choices follow the token policy: read it with the page, so that the dialog
  // opens ready (while it loads, the expiry is disabled and a keyboard user would tab past it).
  useEffect(() => {
    void queryClient.prefetchQuery(trpc.apiToken.policy.queryOptions({ teamId }));
  }, [queryClient, trpc, teamId]);
  // Refused as a non-admin: the role changed since the team list was loaded; reload it to show why.
  const forbidden = errorCode(tokens.error) === 'FORBIDDEN';
  useEffect(() => {
    if (forbidden) void queryClient.invalidateQueries(trpc.team.getMany.pathFilter());
  }, [forbidden, queryClient, trpc]);
  const now = useNow();
  const close = () => setDialog(null);
  const detailHref = (token: TokenListItem) =>
    teamSlug === null ? paths.personalToken(token.id) : paths.teamToken(teamSlug, token.id);

  return (
    <>
      <div className="toolbar">
        <p className="muted toolbar-count" aria-live="polite">
          {tokens.data ? `${tokens.data.length} ${tokens.data.length === 1 ? 'token' : 'tokens'}` : ' '}
        </p>
        <TokenFilterChips value={filter} onChange={setFilter} />
        <DeleteExpiredTokens teamId={teamId} />
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
          Create token
        </button>
      </div>

      {tokens.isPending ? (
        <TokenTable
          tokens={null}
          now={now}
          onRotate={() => {}}
          onDelete={() => {}}
          showCreator={teamId !== null}
          detailHref={detailHref}
        />
      ) : tokens.isError ? (
        <div className="empty-state" role="alert">
          <h2>Could not load {teamName ? `the tokens of ${teamName}` : 'your API tokens'}</h2>
          <p>{errorMessage(tokens.error)}</p>
          <button type="button" className="button" onClick={() => void tokens.refetch()} disabled={tokens.isFetching}>
            {tokens.isFetching ? 'Trying again…' : 'Try again'}
          </button>
        </div>
      ) : tokens.data.length === 0 && filter !== 'all' ? (
        <div className="empty-state">
          <h2>No tokens match this filter</h2>
          <button type="button" className="button" onClick={() => setFilter('all')}>
            Show all tokens
          </button>
        </div>
      ) : tokens.data.length === 0 ? (
        <div className="empty-state">
          <h2>No API tokens yet</h2>
          <p>
            {teamName
              ? `Create a token for a script, CI job or service that works for ${teamName}. ` +
                'You will see it once, right after creating it.'
              : 'Create a token to call the API from a script, a CI job or another service. ' +
                'You will see it once, right after creating it.'}
          </p>
          <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
            Create your first token
          </button>
        </div>
      ) : (
        <TokenTable
          tokens={tokens.data}
          now={now}
          showCreator={teamId !== null}
          onRotate={(token) => setDialog({ kind: 'rotate', token })}
          onDelete={(token) => setDialog({ kind: 'delete', token })}
          sparklines={sparklines.data?.requests}
          lastIps={sparklines.data?.lastIps}
          onShowUsage={(token) => setDialog({ kind: 'usage', token })}
          detailHref={detailHref}
        />
      )}

      {dialog?.kind === 'create' && <CreateTokenDialog teamId={teamId} onClose={close} />}
      {dialog?.kind === 'delete' && <DeleteTokenDialog token={dialog.token} teamId={teamId} onClose={close} />}
      {dialog?.kind === 'rotate' && <RotateTokenDialog token={dialog.token} teamId={teamId} onClose={close} />}
      {dialog?.kind === 'usage' && (
        <TokenUsageDialog token={dialog.token} teamId={teamId} canSeeAudit onClose={close} />
      )}
    </>
  );
}
