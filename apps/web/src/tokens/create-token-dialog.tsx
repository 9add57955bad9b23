// Create a token: name (checked with the server's own schema), expiry and scopes; then the token, once.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZTokenName } from '@latchkey/lib/types';
import {
  BUILTIN_SCOPES,
  DEFAULT_UI_EXPIRES_IN,
  EXPIRES_IN_LABELS,
  EXPIRES_IN_VALUES,
  type ExpiresIn,
} from '@latchkey/lib/universal';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { Field, firstIssue } from '../components/field';
import { useTRPC, type RouterOutputs } from '../trpc';
import { formatDate } from './format-token-times';
import { TokenRevealDialog } from './token-reveal';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'tokens:read': 'List tokens and read their details',
  'tokens:write': 'Create, rotate and delete tokens',
  'audit:read': 'Read the audit log and usage',
};

export function CreateTokenDialog({ teamId, onClose }: { teamId: number | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [expiresIn, setExpiresIn] = useState<ExpiresIn>(DEFAULT_UI_EXPIRES_IN);
  const [scopes, setScopes] = useState<string[]>([...BUILTIN_SCOPES]);
  const [scopesError, setScopesError] = useState<string | null>(null);
  const [created, setCreated] = useState<RouterOutputs['apiToken']['create'] | null>(null);

  const create = useMutation(
    trpc.apiToken.create.mutationOptions({
      onSuccess: async (token) => {
        setCreated(token);
        await queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter());
      },
    }),
  );

  const validateName = (value: string) => firstIssue(ZTokenName.safeParse(value));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const problem = validateName(name);
    const scopeProblem = scopes.length === 0 ? 'Choose at least one scope' : null;
    setNameError(problem);
    setScopesError(scopeProblem);
    if (problem) {
      document.getElementById('token-name')?.focus();
      return;
    }
    if (scopeProblem) return;
    create.mutate({ teamId, name: name.trim(), expiresIn, scopes });
  }

  if (created) {
    return (
      <TokenRevealDialog title="API token created" token={created.token} onClose={onClose}>
        <p className="muted">
          <strong>{created.name}</strong> ·{' '}
          {created.expiresAt ? `expires ${formatDate(created.expiresAt)}` : 'never expires'} ·{' '}
          {created.scopes.join(', ')}
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
      <form onSubmit={submit} noValidate>
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

        <div className="field">
          <label className="field-label" htmlFor="token-expires-in">
            Expiration
          </label>
          <select
            id="token-expires-in"
            className="input"
            value={expiresIn}
            onChange={(event) => setExpiresIn(event.target.value as ExpiresIn)}
          >
            {EXPIRES_IN_VALUES.map((value) => (
              <option key={value} value={value}>
                {EXPIRES_IN_LABELS[value]}
              </option>
            ))}
          </select>
        </div>

        <fieldset className="field fieldset" aria-describedby={scopesError ? 'token-scopes-error' : undefined}>
          <legend className="field-label">Scopes</legend>
          {BUILTIN_SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) =>
                  setScopes((current) =>
                    event.target.checked ? [...current, scope] : current.filter((s) => s !== scope),
                  )
                }
              />
              <span>
                <code>{scope}</code>
                <span className="checkbox-hint">{SCOPE_DESCRIPTIONS[scope] ?? ''}</span>
              </span>
            </label>
          ))}
          {scopesError && (
            <p id="token-scopes-error" className="field-error" role="alert">
              {scopesError}
            </p>
          )}
        </fieldset>

        <DialogActions
          error={create.error}
          pending={create.isPending}
          onCancel={onClose}
          label="Create token"
          pendingLabel="Creating…"
        />
      </form>
    </Dialog>
  );
}
