// The Account page (`/settings/account`): who you are, changing the password (the current one is
// required, and every other session ends), and the signed-in sessions with "sign out everywhere else".
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PASSWORD_MIN_LENGTH, ZPassword } from '@latchkey/lib/types';
import { ErrorCallout } from '../components/error-callout';
import { Field, firstIssue } from '../components/field';
import { PageHeader } from '../components/page-header';
import { formatDateTime } from '../tokens/format-token-times';
import { errorMessage, fieldIssue, useTRPC, type SignedInUser } from '../trpc';

export function AccountPage({ user }: { user: SignedInUser }) {
  return (
    <section aria-labelledby="page-heading" className="narrow-wide">
      <PageHeader eyebrow="Personal settings" title="Account">
        Your sign-in details and the places you are signed in.
      </PageHeader>
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading" className="card-title">
          Profile
        </h2>
        <dl className="profile">
          <div>
            <dt>Name</dt>
            <dd>{user.name}</dd>
          </div>
          <div>
            <dt>E-mail</dt>
            <dd>{user.email}</dd>
          </div>
        </dl>
      </section>
      <ChangePassword email={user.email} />
      <Sessions />
    </section>
  );
}

function ChangePassword({ email }: { email: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<{ current?: string | null; next?: string | null }>({});
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        setCurrent('');
        setNext('');
        await queryClient.invalidateQueries(trpc.auth.sessions.pathFilter());
      },
    }),
  );
  const serverCurrent = fieldIssue(change.error, 'currentPassword');
  const serverNext = fieldIssue(change.error, 'newPassword');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found = {
      current: current ? null : 'Enter your current password',
      next: firstIssue(ZPassword.safeParse(next)),
    };
    setErrors(found);
    if (found.current || found.next) {
      document.getElementById(found.current ? 'current-password' : 'new-password')?.focus();
      return;
    }
    change.mutate({ currentPassword: current, newPassword: next });
  }

  return (
    <form className="card" aria-labelledby="password-heading" onSubmit={submit} noValidate>
      <h2 id="password-heading" className="card-title">
        Change password
      </h2>
      <p className="muted card-intro">Changing it signs you out everywhere else.</p>
      {/* For password managers: whose password this is. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field
        id="current-password"
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={current}
        error={errors.current ?? serverCurrent}
        onChange={(event) => setCurrent(event.target.value)}
      />
      <Field
        id="new-password"
        label="New password"
        type="password"
        autoComplete="new-password"
        value={next}
        error={errors.next ?? serverNext}
        hint={`At least ${PASSWORD_MIN_LENGTH} characters, and not a common password.`}
        onChange={(event) => setNext(event.target.value)}
      />
      {!serverCurrent && !serverNext && <ErrorCallout error={change.error} />}
      {change.isSuccess && (
        <p className="callout callout-info" role="status">
          Password changed. {endedText(change.data.endedSessions)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

/** "Firefox on Linux" from a user agent, or the first words of it; the whole one is on hover. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : null;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 40);
}

function Sessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const others = sessions.data?.filter((s) => !s.current).length ?? 0;
  const signOut = useMutation(
    trpc.auth.signOutOthers.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.auth.sessions.pathFilter()),
    }),
  );
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <div className="card-heading-row">
        <h2 id="sessions-heading" className="card-title">
          Signed-in sessions
        </h2>
        <button
          type="button"
          className="button button-small"
          disabled={others === 0 || signOut.isPending}
          onClick={() => signOut.mutate()}
        >
          {signOut.isPending ? 'Signing out…' : 'Sign out everywhere else'}
        </button>
      </div>
      <ErrorCallout error={signOut.error} />
      {signOut.isSuccess && (
        <p className="callout callout-info" role="status">
          {signOut.data.ended === 1 ? 'One other session was' : `${signOut.data.ended} other sessions were`} signed out.
        </p>
      )}
      {sessions.isPending ? (
        <p className="muted" role="status">
          Loading your sessions…
        </p>
      ) : sessions.isError ? (
        <p className="callout callout-error" role="alert">
          {errorMessage(sessions.error)}
        </p>
      ) : (
        <ul className="session-list" aria-label="Signed-in sessions">
          {sessions.data.map((session) => (
            <li key={session.id} className="session-item">
              <span className="session-device" title={session.userAgent ?? undefined}>
                {describeUserAgent(session.userAgent)}
                {session.current && <span className="badge badge-active">This session</span>}
              </span>
              <span className="muted session-meta">
                {session.ip && (
                  <>
                    <code className="address">{session.ip}</code> ·{' '}
                  </>
                )}
                signed in {formatDateTime(session.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function endedText(ended: number): string {
  if (ended === 0) return 'You were not signed in anywhere else.';
  return ended === 1 ? 'One other session was signed out.' : `${ended} other sessions were signed out.`;
}
