// A team's token policy: everyone in the team sees it; admins change the longest lifetime and the
// scopes new tokens may have. It applies to tokens made from then on.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZMaxLifetimeDays } from '@latchkey/lib/types';
import { TEAM_POLICY_ADMIN_REQUIRED } from '@latchkey/lib/universal';
import { ErrorCallout } from '../components/error-callout';
import { Link, paths } from '../router';
import { errorMessage, useTRPC, type RouterOutputs, type TeamWithRole } from '../trpc';
import { formatDays } from '../tokens/policy-text';
import { PageHeader } from '../components/page-header';

type Policy = RouterOutputs['team']['policy']['get'];

const MIN_DAYS = ZMaxLifetimeDays.minValue ?? 1;
const MAX_DAYS = ZMaxLifetimeDays.maxValue ?? 365;

/** The typed number of days as the policy's value, or why it is not one (by the schema the server checks with). */
function parseDays(text: string): { ok: true; days: number } | { ok: false; error: string } {
  const trimmed = text.trim();
  const result = ZMaxLifetimeDays.safeParse(trimmed === '' || !/^\d+$/.test(trimmed) ? NaN : Number(trimmed));
  return result.success
    ? { ok: true, days: result.data }
    : { ok: false, error: `Enter a whole number of days from ${MIN_DAYS} to ${MAX_DAYS}` };
}

export function TeamPolicyPage({ team }: { team: TeamWithRole }) {
  const trpc = useTRPC();
  const policy = useQuery(trpc.team.policy.get.queryOptions({ teamId: team.id }));
  const isAdmin = team.role === 'ADMIN';

  return (
    <section aria-labelledby="page-heading">
      <PageHeader eyebrow={`Team settings · ${team.name}`} title="Token policy">
        Limits on the API tokens made for {team.name} from now on. Existing tokens keep their expiry; the token list
        marks those that break the policy.
      </PageHeader>

      {policy.isPending ? (
        <div className="card" aria-busy="true">
          <span className="skeleton skeleton-title" />
          <span className="skeleton" style={{ width: '14rem' }} />
          <span className="skeleton" style={{ width: '18rem' }} />
          <p className="visually-hidden" role="status">
            Loading the token policy…
          </p>
        </div>
      ) : policy.isError ? (
        <div className="empty-state" role="alert">
          <h2>Could not load the token policy of {team.name}</h2>
          <p>{errorMessage(policy.error)}</p>
          <button type="button" className="button" onClick={() => void policy.refetch()} disabled={policy.isFetching}>
            {policy.isFetching ? 'Trying again…' : 'Try again'}
          </button>
        </div>
      ) : (
        <>
          <PolicySummary policy={policy.data} />
          {isAdmin ? (
            <PolicyForm teamId={team.id} policy={policy.data} />
          ) : (
            <p className="callout callout-info" role="status">
              {TEAM_POLICY_ADMIN_REQUIRED}. You are a {team.role.toLowerCase()} of {team.name}; its admins are listed
              under <Link href={paths.teamMembers(team.slug)}>Members</Link>.
            </p>
          )}
        </>
      )}
    </section>
  );
}

function PolicySummary({ policy }: { policy: Policy }) {
  return (
    <section className="card" aria-labelledby="policy-summary-heading">
      <h2 id="policy-summary-heading" className="card-title">
        Current policy
      </h2>
      <dl className="policy-summary">
        <div>
          <dt>Longest lifetime</dt>
          <dd data-testid="policy-max-lifetime">
            {policy.maxLifetimeDays === null
              ? 'No limit: tokens may be made to never expire'
              : `${formatDays(policy.maxLifetimeDays)}: every new token must expire within it`}
          </dd>
        </div>
        <div>
          <dt>Allowed scopes</dt>
          <dd data-testid="policy-allowed-scopes">
            {policy.allowedScopes === null ? (
              'All scopes'
            ) : (
              <ul className="scope-list" aria-label="Allowed scopes">
                {policy.allowedScopes.map((scope) => (
                  <li key={scope}>
                    <code className="scope">{scope}</code>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        {policy.instanceMaxLifetimeDays !== null && (
          <div>
            <dt>Server limit</dt>
            <dd data-testid="policy-instance-limit">
              {formatDays(policy.instanceMaxLifetimeDays)}: this server lets no token live longer, whatever the team
              allows
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}

function PolicyForm({ teamId, policy }: { teamId: number; policy: Policy }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [limited, setLimited] = useState(policy.maxLifetimeDays !== null);
  const [daysText, setDaysText] = useState(String(policy.maxLifetimeDays ?? 90));
  const [daysError, setDaysError] = useState<string | null>(null);
  const [someScopes, setSomeScopes] = useState(policy.allowedScopes !== null);
  const [scopes, setScopes] = useState<string[]>(policy.allowedScopes ?? [...policy.knownScopes]);
  const [scopesError, setScopesError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const update = useMutation(
    trpc.team.policy.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await Promise.all([
          queryClient.invalidateQueries(trpc.team.policy.get.pathFilter()),
          queryClient.invalidateQueries(trpc.apiToken.policy.pathFilter()),
          // The list marks tokens that break the policy: those marks may have changed.
          queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter()),
        ]);
      },
    }),
  );

  const days = parseDays(daysText);
  const wanted = {
    maxLifetimeDays: limited ? (days.ok ? days.days : null) : null,
    allowedScopes: someScopes ? policy.knownScopes.filter((scope) => scopes.includes(scope)) : null,
  };
  const unchanged =
    (limited ? days.ok && days.days === policy.maxLifetimeDays : policy.maxLifetimeDays === null) &&
    JSON.stringify(wanted.allowedScopes === null ? null : [...wanted.allowedScopes].sort()) ===
      JSON.stringify(policy.allowedScopes === null ? null : [...policy.allowedScopes].sort());
  const overInstance =
    limited && days.ok && policy.instanceMaxLifetimeDays !== null && days.days > policy.instanceMaxLifetimeDays;

  function edited() {
    setSaved(false);
    update.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const dayProblem = limited && !days.ok ? days.error : null;
    const scopeProblem = someScopes && wanted.allowedScopes!.length === 0 ? 'Choose at least one scope' : null;
    setDaysError(dayProblem);
    setScopesError(scopeProblem);
    if (dayProblem) {
      document.getElementById('policy-max-days')?.focus();
      return;
    }
    if (scopeProblem) return;
    update.mutate({ teamId, maxLifetimeDays: wanted.maxLifetimeDays, allowedScopes: wanted.allowedScopes });
  }

  return (
    <form className="card policy-form" onSubmit={submit} noValidate aria-labelledby="policy-form-heading">
      <h2 id="policy-form-heading" className="card-title">
        Change the policy
      </h2>
      <p className="muted">Admins only. The change is recorded in the team's activity.</p>

      <fieldset className="field fieldset">
        <legend className="field-label">Longest lifetime</legend>
        <label className="radio">
          <input
            type="radio"
            name="policy-lifetime"
            checked={!limited}
            onChange={() => {
              setLimited(false);
              setDaysError(null);
              edited();
            }}
          />
          <span>
            No limit
            <span className="checkbox-hint">Tokens may be made to never expire.</span>
          </span>
        </label>
        <label className="radio">
          <input
            type="radio"
            name="policy-lifetime"
            checked={limited}
            onChange={() => {
              setLimited(true);
              edited();
            }}
          />
          <span>
            Limit the lifetime
            <span className="checkbox-hint">Every new token must expire; longer expiries are not offered.</span>
          </span>
        </label>
        {limited && (
          <div className="policy-days">
            <label className="field-label" htmlFor="policy-max-days">
              Longest lifetime in days
            </label>
            <div className="field-inline">
              <input
                id="policy-max-days"
                className="input input-days"
                type="number"
                inputMode="numeric"
                min={MIN_DAYS}
                max={MAX_DAYS}
                step={1}
                value={daysText}
                aria-invalid={daysError ? true : undefined}
                aria-describedby={daysError ? 'policy-max-days-error' : 'policy-max-days-hint'}
                onChange={(event) => {
                  setDaysText(event.target.value);
                  if (daysError) setDaysError(parseDays(event.target.value).ok ? null : daysError);
                  edited();
                }}
                onBlur={() => {
                  const parsed = parseDays(daysText);
                  setDaysError(parsed.ok ? null : parsed.error);
                }}
              />
              <span className="muted">days</span>
            </div>
            {daysError ? (
              <p id="policy-max-days-error" className="field-error" role="alert">
                {daysError}
              </p>
            ) : (
              <p id="policy-max-days-hint" className="field-hint">
                {overInstance
                  ? `This server allows at most ${formatDays(policy.instanceMaxLifetimeDays!)}; ` +
                    'that lower limit applies.'
                  : `${MIN_DAYS} to ${MAX_DAYS} days.`}
              </p>
            )}
          </div>
        )}
      </fieldset>

      <fieldset className="field fieldset" aria-describedby={scopesError ? 'policy-scopes-error' : undefined}>
        <legend className="field-label">Allowed scopes</legend>
        <label className="radio">
          <input
            type="radio"
            name="policy-scopes"
            checked={!someScopes}
            onChange={() => {
              setSomeScopes(false);
              setScopesError(null);
              edited();
            }}
          />
          <span>
            All scopes
            <span className="checkbox-hint">Including scopes this server adds later.</span>
          </span>
        </label>
        <label className="radio">
          <input
            type="radio"
            name="policy-scopes"
            checked={someScopes}
            onChange={() => {
              setSomeScopes(true);
              edited();
            }}
          />
          <span>
            Only these scopes
            <span className="checkbox-hint">New tokens may hold no other scope.</span>
          </span>
        </label>
        {someScopes && (
          <div className="policy-scopes" role="group" aria-label="Scopes new tokens may have">
            {policy.knownScopes.map((scope) => (
              <label key={scope} className="checkbox">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(event) => {
                    const next = event.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope);
                    setScopes(next);
                    if (scopesError && next.length > 0) setScopesError(null);
                    edited();
                  }}
                />
                <span>
                  <code>{scope}</code>
                  <span className="checkbox-hint">{policy.scopeDescriptions[scope] ?? ''}</span>
                </span>
              </label>
            ))}
          </div>
        )}
        {scopesError && (
          <p id="policy-scopes-error" className="field-error" role="alert">
            {scopesError}
          </p>
        )}
      </fieldset>

      <ErrorCallout error={update.error} />
      <div className="form-actions policy-actions">
        <p className="field-hint" role="status">
          {saved ? 'Saved. The policy applies to tokens made from now on.' : ''}
        </p>
        <button type="submit" className="button button-primary" disabled={update.isPending || unchanged}>
          {update.isPending ? 'Saving…' : 'Save policy'}
        </button>
      </div>
    </form>
  );
}
