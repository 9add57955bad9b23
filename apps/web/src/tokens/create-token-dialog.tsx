// Create a token: name (checked with the server's own schema), expiry and scopes (the server's list
// with what each is for, only those the token policy allows, saying why others are missing), and the
// addresses it may be used from; then the token, once.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZAllowedIps, ZTokenName } from '@latchkey/lib/types';
import {
  allowedExpiresIn,
  DEFAULT_UI_EXPIRES_IN,
  EXPIRES_IN_LABELS,
  EXPIRES_IN_MS,
  lifetimeLimit,
  MAX_ALLOWED_IPS,
  scopeAllowed,
  splitAllowedIps,
  type ExpiresIn,
  type TokenPolicy,
} from '@latchkey/lib/universal';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { Field, firstIssue } from '../components/field';
import { errorMessage, useTRPC, type RouterOutputs } from '../trpc';
import { formatDate } from './format-token-times';
import { formatDays, missingExpiriesReason, missingScopesReason } from './policy-text';
import { TokenRevealDialog } from './token-reveal';

/** A preset, or the policy's longest lifetime when no preset is exactly that (the server's default). */
type ExpiryChoice = ExpiresIn | 'LONGEST';

type NewTokenPolicy = RouterOutputs['apiToken']['policy'];

/**
 * What the dialog offers when the policy could not be read: every expiry, and no scope list (only
 * the server knows its scopes): the token then gets every scope it may have. The server still checks.
 */
const NO_POLICY: NewTokenPolicy = { team: null, instanceMaxLifetimeDays: null, scopes: [], scopeDescriptions: {} };

function expiryChoices(policy: TokenPolicy): ExpiryChoice[] {
  const presets = allowedExpiresIn(policy);
  const limit = lifetimeLimit(policy);
  const longestIsPreset = presets.some((preset) => EXPIRES_IN_MS[preset] === limit?.ms);
  return limit && !longestIsPreset ? [...presets, 'LONGEST'] : presets;
}

/** The entries typed, and the first problems with them in the server's own words, or null. */
function checkAllowedIps(text: string): { entries: string[]; error: string | null } {
  const entries = splitAllowedIps(text);
  const result = ZAllowedIps.safeParse(entries);
  if (result.success) return { entries, error: null };
  const messages = result.error.issues.map((issue) => issue.message);
  const error =
    messages.length > 2
      ? `${messages[0]}, and ${messages.length - 1} more entries are not valid either`
      : messages.join('; ');
  return { entries, error };
}

export function CreateTokenDialog({ teamId, onClose }: { teamId: number | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const policyQuery = useQuery(trpc.apiToken.policy.queryOptions({ teamId }));
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  // null until chosen: the default then follows the policy once it has loaded.
  const [expiryChoice, setExpiryChoice] = useState<ExpiryChoice | null>(null);
  const [chosenScopes, setChosenScopes] = useState<string[] | null>(null);
  const [scopesError, setScopesError] = useState<string | null>(null);
  const [ipText, setIpText] = useState('');
  const [ipError, setIpError] = useState<string | null>(null);
  const [created, setCreated] = useState<RouterOutputs['apiToken']['create'] | null>(null);

  const policy = policyQuery.data ?? NO_POLICY;
  const choices = expiryChoices(policy);
  const defaultChoice = choices.includes(DEFAULT_UI_EXPIRES_IN) ? DEFAULT_UI_EXPIRES_IN : choices.at(-1)!;
  const expiry = expiryChoice !== null && choices.includes(expiryChoice) ? expiryChoice : defaultChoice;
  const offeredScopes = policy.scopes.filter((scope) => scopeAllowed(policy, scope));
  const scopes = (chosenScopes ?? offeredScopes).filter((scope) => offeredScopes.includes(scope));
  const limit = lifetimeLimit(policy);
  const expiriesReason = missingExpiriesReason(policy);
  const scopesReason = missingScopesReason(policy, policy.scopes);
  const loading = policyQuery.isPending;
  const scopesUnknown = policyQuery.isError;

  const create = useMutation(
    trpc.apiToken.create.mutationOptions({
      // The answer holds the plain token: React Query would keep it for 5 minutes after the dialog
      // closed. Dropped at once instead, with the dialog (see closeAndForget).
      gcTime: 0,
      onSuccess: async (token) => {
        setCreated(token);
        await queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter());
      },
    }),
  );
  const closeAndForget = () => {
    create.reset();
    onClose();
  };

  const validateName = (value: string) => firstIssue(ZTokenName.safeParse(value));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (loading) return;
    const problem = validateName(name);
    const scopeProblem = scopes.length === 0 && !scopesUnknown ? 'Choose at least one scope' : null;
    const ips = checkAllowedIps(ipText);
    setNameError(problem);
    setScopesError(scopeProblem);
    setIpError(ips.error);
    if (problem) {
      document.getElementById('token-name')?.focus();
      return;
    }
    if (scopeProblem) return;
    if (ips.error) {
      document.getElementById('token-allowed-ips')?.focus();
      return;
    }
    create.mutate({
      teamId,
      name: name.trim(),
      // The longest allowed is what the server gives when no expiry is named.
      expiresIn: expiry === 'LONGEST' ? undefined : expiry,
      // Without the list, the server's default: every scope the token may have.
      scopes: scopesUnknown ? undefined : scopes,
      allowedIps: ips.entries.length > 0 ? ips.entries : undefined,
    });
  }

  if (created) {
    return (
      <TokenRevealDialog title="API token created" token={created.token} onClose={closeAndForget}>
        <p className="muted">
          <strong>{created.name}</strong> ·{' '}
          {created.expiresAt ? `expires ${formatDate(created.expiresAt)}` : 'never expires'} ·{' '}
          {created.scopes.join(', ')}
          {created.allowedIps.length > 0 && <> · only from {created.allowedIps.join(', ')}</>}
        </p>
      </TokenRevealDialog>
    );
  }

  return (
    <Dialog
      title={teamId === null ? 'Create API token' : 'Create team API token'}
      onClose={onClose}
      busy={create.isPending}
    >
      <form onSubmit={submit} noValidate aria-busy={loading || undefined}>
        <Field
          id="token-name"
          label="Name"
          data-autofocus
          value={name}
          maxLength={200}
          autoComplete="off"
          placeholder="e.g. CI deploys"
          error={nameError}
          hint="What the token is for, so you know what breaks if you delete it."
          onChange={(event) => {
            setName(event.target.value);
            // Once a message is showing, keep it in step with what is typed.
            if (nameError) setNameError(validateName(event.target.value));
          }}
        />

        {policyQuery.isError && (
          <p className="callout callout-warning" role="alert">
            Could not load the token policy ({errorMessage(policyQuery.error)}). Every expiry is offered and the token
            gets every scope it may have; the server still refuses what the policy does not allow.
          </p>
        )}

        <div className="field">
          <label className="field-label" htmlFor="token-expires-in">
            Expiration
          </label>
          <select
            id="token-expires-in"
            className="input"
            value={expiry}
            disabled={loading}
            aria-describedby={expiriesReason ? 'token-expires-in-hint' : undefined}
            onChange={(event) => setExpiryChoice(event.target.value as ExpiryChoice)}
          >
            {choices.map((value) => (
              <option key={value} value={value}>
                {value === 'LONGEST' ? `${formatDays(limit!.days)} (the longest allowed)` : EXPIRES_IN_LABELS[value]}
              </option>
            ))}
          </select>
          {expiriesReason && (
            <p id="token-expires-in-hint" className="field-hint">
              {expiriesReason}
            </p>
          )}
        </div>

        <fieldset
          className="field fieldset"
          aria-describedby={
            [scopesError && 'token-scopes-error', scopesReason && 'token-scopes-hint'].filter(Boolean).join(' ') ||
            undefined
          }
        >
          <legend className="field-label">Scopes</legend>
          {loading ? (
            <>
              <span className="skeleton" style={{ width: '12rem' }} />
              <span className="skeleton" style={{ width: '10rem' }} />
            </>
          ) : scopesUnknown ? (
            <p className="field-hint">Every scope the token may have (the list could not be loaded).</p>
          ) : (
            offeredScopes.map((scope) => (
              <label key={scope} className="checkbox">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(event) =>
                    setChosenScopes(event.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                  }
                />
                <span>
                  <code>{scope}</code>
                  <span className="checkbox-hint">{policy.scopeDescriptions[scope] ?? ''}</span>
                </span>
              </label>
            ))
          )}
          {scopesReason && (
            <p id="token-scopes-hint" className="field-hint">
              {scopesReason}
            </p>
          )}
          {scopesError && (
            <p id="token-scopes-error" className="field-error" role="alert">
              {scopesError}
            </p>
          )}
        </fieldset>

        <div className="field">
          <label className="field-label" htmlFor="token-allowed-ips">
            Allowed IP addresses <span className="field-optional">(optional)</span>
          </label>
          <textarea
            id="token-allowed-ips"
            className="input textarea"
            rows={2}
            value={ipText}
            spellCheck={false}
            autoComplete="off"
            placeholder="e.g. 203.0.113.7, 10.0.0.0/8"
            aria-invalid={ipError ? true : undefined}
            aria-describedby={ipError ? 'token-allowed-ips-error' : 'token-allowed-ips-hint'}
            onChange={(event) => {
              setIpText(event.target.value);
              if (ipError) setIpError(checkAllowedIps(event.target.value).error);
            }}
            onBlur={() => setIpError(checkAllowedIps(ipText).error)}
          />
          {ipError ? (
            <p id="token-allowed-ips-error" className="field-error" role="alert">
              {ipError}
            </p>
          ) : (
            <p id="token-allowed-ips-hint" className="field-hint">
              Addresses or CIDR ranges, separated by commas or new lines, up to {MAX_ALLOWED_IPS}. Requests from
              anywhere else are refused. Empty: any address.
            </p>
          )}
        </div>

        <DialogActions
          error={create.error}
          pending={create.isPending}
          actionDisabled={loading}
          onCancel={onClose}
          label="Create token"
          pendingLabel="Creating…"
        />
      </form>
    </Dialog>
  );
}
