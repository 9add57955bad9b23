// A team's own settings (`/t/:slug/settings/team`): its name, and deleting it. Both are for its
// ADMINs; deleting asks first, naming how many of the team's tokens stop working with it.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZTeamName } from '@latchkey/lib/types';
import { TEAM_SETTINGS_ADMIN_REQUIRED } from '@latchkey/lib/universal';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { ErrorCallout } from '../components/error-callout';
import { Field, firstIssue } from '../components/field';
import { PageHeader } from '../components/page-header';
import { navigate, paths } from '../router';
import { useTRPC, type TeamWithRole } from '../trpc';

export function TeamSettingsPage({ team }: { team: TeamWithRole }) {
  const isAdmin = team.role === 'ADMIN';
  return (
    <section aria-labelledby="page-heading" className="narrow-wide">
      <PageHeader eyebrow={`Team settings · ${team.name}`} title="Team">
        The team&apos;s name, and deleting the team.
      </PageHeader>
      {isAdmin ? (
        <>
          <RenameTeam team={team} />
          <DeleteTeam team={team} />
        </>
      ) : (
        <div className="callout callout-info" role="status">
          <p>
            <strong>{TEAM_SETTINGS_ADMIN_REQUIRED}.</strong>
          </p>
        </div>
      )}
    </section>
  );
}

function RenameTeam({ team }: { team: TeamWithRole }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(team.name);
  const [error, setError] = useState<string | null>(null);
  const rename = useMutation(
    trpc.team.rename.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.team.getMany.pathFilter()),
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const issue = firstIssue(ZTeamName.safeParse(name));
    setError(issue);
    if (issue) return document.getElementById('team-name')?.focus();
    rename.mutate({ teamId: team.id, name: name.trim() });
  }
  return (
    <form className="card" aria-labelledby="rename-heading" onSubmit={submit} noValidate>
      <h2 id="rename-heading" className="card-title">
        Name
      </h2>
      <Field
        id="team-name"
        label="Team name"
        value={name}
        autoComplete="off"
        error={error}
        hint={`The team's pages stay at /t/${team.slug}.`}
        onChange={(event) => {
          setName(event.target.value);
          rename.reset();
        }}
      />
      <ErrorCallout error={rename.error} />
      {rename.isSuccess && (
        <p className="callout callout-info" role="status">
          Renamed to {rename.data.name}.
        </p>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={rename.isPending || name.trim() === team.name}
        >
          {rename.isPending ? 'Saving…' : 'Rename team'}
        </button>
      </div>
    </form>
  );
}

function DeleteTeam({ team }: { team: TeamWithRole }) {
  const [asking, setAsking] = useState(false);
  return (
    <section className="card card-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading" className="card-title">
        Delete this team
      </h2>
      <p className="muted card-intro">
        Its API tokens stop working at once, its members lose access, and its activity log goes with it. This cannot be
        undone.
      </p>
      <div className="form-actions">
        <button type="button" className="button button-danger" onClick={() => setAsking(true)}>
          Delete team…
        </button>
      </div>
      {asking && <DeleteTeamDialog team={team} onClose={() => setAsking(false)} />}
    </section>
  );
}

function DeleteTeamDialog({ team, onClose }: { team: TeamWithRole; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.apiToken.getMany.queryOptions({ teamId: team.id }));
  const remove = useMutation(
    trpc.team.delete.mutationOptions({
      onSuccess: async () => {
        navigate(paths.personalTokens);
        await queryClient.invalidateQueries(trpc.team.getMany.pathFilter());
      },
    }),
  );
  const count = tokens.data?.length;
  return (
    <Dialog title={`Delete ${team.name}?`} onClose={onClose} role="alertdialog" busy={remove.isPending}>
      <p data-testid="delete-team-impact">
        {impactText(team.name, count)} Its members lose access to it. This cannot be undone.
      </p>
      <DialogActions
        error={remove.error ?? tokens.error}
        pending={remove.isPending}
        onCancel={onClose}
        label={count ? `Delete team and ${count} ${count === 1 ? 'token' : 'tokens'}` : 'Delete team'}
        pendingLabel="Deleting…"
        onAction={() => remove.mutate({ teamId: team.id })}
        actionDisabled={count === undefined}
        danger
        focusCancel
      />
    </Dialog>
  );
}

/** What deleting the team does to its tokens, in words; `count` is undefined while it is counted. */
function impactText(teamName: string, count: number | undefined): string {
  if (count === undefined) return 'Counting the team’s tokens…';
  if (count === 0) return `${teamName} has no API tokens, so no token stops working.`;
  if (count === 1) return 'This revokes its 1 API token: anything that uses it stops working at once.';
  return `This revokes all ${count} of its API tokens: anything that uses them stops working at once.`;
}
