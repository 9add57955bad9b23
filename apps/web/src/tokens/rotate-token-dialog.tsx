// Rotate: a new token with the same name, scopes and lifetime; the old one stops now or after a grace period.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { MAX_GRACE_PERIOD_SECONDS } from '@latchkey/lib/universal';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { useTRPC, type RouterOutputs, type TokenListItem } from '../trpc';
import { formatDateTime } from './format-token-times';
import { TokenRevealDialog } from './token-reveal';

export const GRACE_PERIODS = [
  { seconds: 0, label: 'Now', hint: 'The old token stops working at once.' },
  { seconds: 3600, label: 'In 1 hour', hint: 'Time to swap it in a script or two.' },
  { seconds: 86_400, label: 'In 24 hours', hint: 'Time to redeploy services that use it.' },
  { seconds: MAX_GRACE_PERIOD_SECONDS, label: 'In 7 days', hint: 'The longest grace period.' },
] as const;

type RotatedToken = RouterOutputs['apiToken']['rotate'];

export function RotateTokenDialog({
  token,
  teamId,
  onClose,
  onRotated,
}: {
  token: TokenListItem;
  teamId: number | null;
  onClose: () => void;
  /** Told the new token's id once its dialog closes (the token page goes to the new token's page). */
  onRotated?: (newTokenId: number) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [grace, setGrace] = useState<number>(0);
  const [rotated, setRotated] = useState<RotatedToken | null>(null);

  const rotate = useMutation(
    trpc.apiToken.rotate.mutationOptions({
      // The answer holds the plain token: not kept once the dialog closes (React Query's default is 5 minutes).
      gcTime: 0,
      onSuccess: async (created) => {
        setRotated(created);
        await queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter());
      },
    }),
  );
  const closeAndForget = () => {
    const newTokenId = rotated?.id;
    rotate.reset();
    onClose();
    if (newTokenId !== undefined) onRotated?.(newTokenId);
    // Only now: the token's own page, refreshed while the new token is shown, could find the old
    // one gone (rotated without grace) and take the dialog, and the token, with it.
    void queryClient.invalidateQueries(trpc.apiToken.get.pathFilter());
  };

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rotate.mutate({ id: token.id, teamId, gracePeriodSeconds: grace });
  }

  if (rotated) {
    return (
      <TokenRevealDialog title="API token rotated" token={rotated.token} onClose={closeAndForget}>
        <p className="muted">
          {/* The server says when the old one stops: a grace period never outlasts its own expiry. */}
          {rotated.previousTokenStopsAt.getTime() > rotated.createdAt.getTime()
            ? `The old token (${token.start}…) keeps working until ${formatDateTime(rotated.previousTokenStopsAt)}.`
            : `The old token (${token.start}…) has stopped working.`}
        </p>
      </TokenRevealDialog>
    );
  }

  return (
    <Dialog title="Rotate API token" onClose={onClose} busy={rotate.isPending}>
      <form onSubmit={submit}>
        <p>
          <strong>{token.name}</strong> (<code>{token.start}…</code>) gets a new value with the same name, scopes and
          lifetime{token.allowedIps.length > 0 ? ', and the same allowed addresses' : ''}.
        </p>
        {token.breaksPolicy && (
          <p className="callout callout-warning" role="alert">
            This token breaks the current token policy ({token.breaksPolicy}), and so would a new one like it: the
            server refuses to rotate it. Create a new token within the policy instead, then delete this one.
          </p>
        )}
        <fieldset className="field fieldset">
          <legend className="field-label">When should the old token stop working?</legend>
          {GRACE_PERIODS.map((option, index) => (
            <label key={option.seconds} className="radio">
              <input
                type="radio"
                name="grace-period"
                value={option.seconds}
                checked={grace === option.seconds}
                onChange={() => setGrace(option.seconds)}
                data-autofocus={index === 0 ? true : undefined}
              />
              <span>
                {option.label}
                <span className="checkbox-hint">{option.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <DialogActions
          error={rotate.error}
          pending={rotate.isPending}
          onCancel={onClose}
          actionDisabled={token.breaksPolicy !== null}
          label="Rotate token"
          pendingLabel="Rotating…"
        />
      </form>
    </Dialog>
  );
}
