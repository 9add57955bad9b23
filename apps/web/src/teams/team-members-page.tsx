// A team's members: everyone may look; admins add by e-mail, change roles and remove.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZEmail, ZTeamRole } from '@latchkey/lib/types';
import { Dialog } from '../components/dialog';
import { firstIssue } from '../components/field';
import { navigate, paths } from '../router';
import { ErrorCallout } from '../components/error-callout';
import { errorMessage, useTRPC, type RouterInputs, type TeamMember, type TeamWithRole } from '../trpc';
import { PageHeader } from '../components/page-header';

type Role = RouterInputs['team']['members']['add']['role'];

const ROLES: readonly Role[] = ZTeamRole.options;
const ROLE_LABELS: Record<Role, string> = { ADMIN: 'Admin', MANAGER: 'Manager', MEMBER: 'Member' };

export function TeamMembersPage({ team, currentUserId }: { team: TeamWithRole; currentUserId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.team.members.getMany.queryOptions({ teamId: team.id }));
  const isAdmin = team.role === 'ADMIN';
  const [removing, setRemoving] = useState<TeamMember | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  // Only the latest action's error shows: a new attempt, here or in the add form, clears the old one.
  const [lastAction, setLastAction] = useState<'add' | 'role' | null>(null);

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries(trpc.team.members.getMany.pathFilter()),
      queryClient.invalidateQueries(trpc.team.getMany.pathFilter()),
      // A removal revokes the team tokens the member made.
      queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter()),
    ]);
  };
  const updateRole = useMutation(
    trpc.team.members.updateRole.mutationOptions({
      onMutate: () => {
        setRowError(null);
        setLastAction('role');
      },
      onSuccess: refresh,
      onError: (error) => setRowError(errorMessage(error)),
    }),
  );

  return (
    <section aria-labelledby="page-heading">
      <PageHeader eyebrow={`Team settings · ${team.name}`} title="Members">
        People in {team.name}. Admins manage members and the team's API tokens; managers and members can see who is in
        the team.
      </PageHeader>

      {isAdmin ? (
        <AddMemberForm
          teamId={team.id}
          onAdded={refresh}
          onStart={() => setLastAction('add')}
          showErrors={lastAction !== 'role'}
        />
      ) : (
        <p className="callout callout-info" role="status">
          You need to be a team admin to manage members.
        </p>
      )}

      {rowError && lastAction === 'role' && (
        <p className="callout callout-error" role="alert">
          {rowError}
        </p>
      )}

      {members.isError ? (
        <div className="empty-state" role="alert">
          <h2>Could not load the members of {team.name}</h2>
          <p>{errorMessage(members.error)}</p>
          <button type="button" className="button" onClick={() => void members.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <div className="table-frame">
          <table className="member-table" aria-label="Members" aria-busy={members.isPending}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                {isAdmin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {members.isPending
                ? [0, 1].map((i) => (
                    <tr key={i} className="skeleton-row" aria-hidden="true">
                      <td className="cell-name">
                        <span className="skeleton" style={{ width: '8rem' }} />
                        <span className="skeleton skeleton-small" style={{ width: '11rem' }} />
                      </td>
                      <td>
                        <span className="skeleton" style={{ width: '5rem' }} />
                      </td>
                      {isAdmin && (
                        <td className="cell-actions">
                          <span className="skeleton skeleton-button" />
                        </td>
                      )}
                    </tr>
                  ))
                : members.data.map((member) => (
                    <tr key={member.userId} data-member-email={member.email}>
                      <td data-label="Name" className="cell-name">
                        <span className="token-name">
                          {member.name}
                          {member.userId === currentUserId && <span className="muted"> (you)</span>}
                        </span>
                        <span className="cell-sub">{member.email}</span>
                      </td>
                      <td data-label="Role">
                        {isAdmin ? (
                          <select
                            className="input input-compact"
                            aria-label={`Role of ${member.name}`}
                            value={member.role}
                            disabled={updateRole.isPending}
                            onChange={(event) =>
                              updateRole.mutate({
                                teamId: team.id,
                                userId: member.userId,
                                role: event.target.value as Role,
                              })
                            }
                          >
                            {ROLES.map((role) => (
                              <option key={role} value={role}>
                                {ROLE_LABELS[role]}
                              </option>
                            ))}
                          </select>
                        ) : (
                          ROLE_LABELS[member.role]
                        )}
                      </td>
                      {isAdmin && (
                        <td className="cell-actions">
                          <button
                            type="button"
                            className="button button-small button-danger-outline"
                            aria-label={
                              member.userId === currentUserId ? `Leave ${team.name}` : `Remove ${member.name}`
                            }
                            onClick={() => setRemoving(member)}
                          >
                            {member.userId === currentUserId ? 'Leave' : 'Remove'}
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
            </tbody>
          </table>
        </div>
      )}

      {removing && (
        <RemoveMemberDialog
          team={team}
          member={removing}
          isSelf={removing.userId === currentUserId}
          onClose={() => setRemoving(null)}
          onRemoved={async (isSelf) => {
            setRemoving(null);
            await refresh();
            if (isSelf) navigate(paths.personalTokens);
          }}
        />
      )}
    </section>
  );
}

type AddMemberFormProps = {
  teamId: number;
  onAdded: () => Promise<void>;
  /** Told when a new attempt starts, so the page drops errors of other actions. */
  onStart: () => void;
  /** False once another action on the page ran since: its errors are stale. */
  showErrors: boolean;
};

function AddMemberForm({ teamId, onAdded, onStart, showErrors }: AddMemberFormProps) {
  const trpc = useTRPC();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MEMBER');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation(
    trpc.team.members.add.mutationOptions({
      onSuccess: async (_, input) => {
        setAdded(`${input.email} was added as ${ROLE_LABELS[input.role].toLowerCase()}.`);
        setEmail('');
        await onAdded();
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAdded(null);
    onStart();
    // The server's answer to the last attempt is stale next to whatever this one brings.
    add.reset();
    const problem = firstIssue(ZEmail.safeParse(email));
    setEmailError(problem);
    if (problem) {
      document.getElementById('member-email')?.focus();
      return;
    }
    add.mutate({ teamId, email: email.trim(), role });
  }

  return (
    <form className="card add-member" onSubmit={submit} noValidate aria-labelledby="add-member-heading">
      <h2 id="add-member-heading" className="card-title">
        Add a member
      </h2>
      <p className="muted">They need an account first: ask them to sign up, then add them by the e-mail they used.</p>
      <div className="inline-form">
        <div className="field field-grow">
          <label className="field-label" htmlFor="member-email">
            E-mail
          </label>
          <input
            id="member-email"
            className="input"
            type="email"
            autoComplete="off"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={emailError && showErrors ? true : undefined}
            aria-describedby={emailError && showErrors ? 'member-email-error' : undefined}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor="member-role">
            Role
          </label>
          <select
            id="member-role"
            className="input"
            value={role}
            onChange={(event) => setRole(event.target.value as Role)}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-button">
          <button type="submit" className="button button-primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add member'}
          </button>
        </div>
      </div>
      {emailError && showErrors && (
        <p id="member-email-error" className="field-error" role="alert">
          {emailError}
        </p>
      )}
      {showErrors && <ErrorCallout error={add.error} />}
      <p className="field-hint" role="status">
        {added ?? ''}
      </p>
    </form>
  );
}

/** What removing `member` does to the team tokens they made, from the count the members list gives admins. */
function revokedTokensText(member: TeamMember, isSelf: boolean): string {
  const count = member.teamTokenCount ?? 0;
  const tokens = `${count} team token${count === 1 ? '' : 's'}`;
  if (isSelf) return count === 0 ? 'You made no team tokens.' : `This also revokes the ${tokens} you made.`;
  return count === 0
    ? `${member.name} made no team tokens, so no token stops working.`
    : `This also revokes ${tokens} ${member.name} made.`;
}

function RemoveMemberDialog({
  team,
  member,
  isSelf,
  onClose,
  onRemoved,
}: {
  team: TeamWithRole;
  member: TeamMember;
  isSelf: boolean;
  onClose: () => void;
  onRemoved: (isSelf: boolean) => Promise<void>;
}) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.team.members.remove.mutationOptions({ onSuccess: () => onRemoved(isSelf) }));
  return (
    <Dialog
      title={isSelf ? `Leave ${team.name}?` : 'Remove member?'}
      onClose={onClose}
      role="alertdialog"
      busy={remove.isPending}
    >
      <p>
        {isSelf ? (
          <>You will lose access to {team.name} and its API tokens.</>
        ) : (
          <>
            Remove <strong>{member.name}</strong> ({member.email}) from {team.name}?
          </>
        )}
      </p>
      <p>{revokedTokensText(member, isSelf)}</p>
      <ErrorCallout error={remove.error} />
      <div className="dialog-actions">
        <button type="button" className="button" data-autofocus onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={remove.isPending}
          onClick={() => remove.mutate({ teamId: team.id, userId: member.userId })}
        >
          {remove.isPending ? 'Removing…' : isSelf ? 'Leave team' : 'Remove member'}
        </button>
      </div>
    </Dialog>
  );
}
