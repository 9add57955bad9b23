// Filter chips over the token list, and "Delete expired tokens" with a confirmation that says how many.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { useTRPC } from '../trpc';

export type TokenFilter = 'all' | 'active' | 'expired' | 'unused';

export const TOKEN_FILTERS: Array<{ value: TokenFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'expired', label: 'Expired' },
  { value: 'unused', label: 'Unused 30+ days' },
];

/** The `apiToken.getMany` input of a filter. */
export function filterInput(filter: TokenFilter): { status?: 'active' | 'expired'; unusedForDays?: number } {
  if (filter === 'active' || filter === 'expired') return { status: filter };
  if (filter === 'unused') return { unusedForDays: 30 };
  return {};
}

export function TokenFilterChips({ value, onChange }: { value: TokenFilter; onChange: (filter: TokenFilter) => void }) {
  return (
    <div className="chips" role="group" aria-label="Show tokens">
      {TOKEN_FILTERS.map((filter) => (
        <button
          key={filter.value}
          type="button"
          className="chip"
          aria-pressed={value === filter.value}
          onClick={() => onChange(filter.value)}
        >
          {filter.label}
        </button>
      ))}
    </div>
  );
}

export function DeleteExpiredTokens({ teamId }: { teamId: number | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const expired = useQuery(trpc.apiToken.getMany.queryOptions({ teamId, status: 'expired' }));
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.apiToken.deleteExpired.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter());
        setConfirming(false);
      },
    }),
  );
  const count = expired.data?.length ?? 0;
  if (count === 0) return null;
  return (
    <>
      <button type="button" className="button button-danger-outline" onClick={() => setConfirming(true)}>
        Delete expired tokens
      </button>
      {confirming && (
        <Dialog
          title="Delete expired tokens?"
          onClose={() => setConfirming(false)}
          role="alertdialog"
          busy={remove.isPending}
        >
          <p>
            Delete {count === 1 ? 'the 1 expired token' : `all ${count} expired tokens`}? They no longer work; this
            removes them from the list. This cannot be undone.
          </p>
          <DialogActions
            error={remove.error}
            pending={remove.isPending}
            onCancel={() => setConfirming(false)}
            label={count === 1 ? 'Delete 1 token' : `Delete ${count} tokens`}
            pendingLabel="Deleting…"
            onAction={() => remove.mutate({ teamId })}
            danger
            focusCancel
          />
        </Dialog>
      )}
    </>
  );
}
