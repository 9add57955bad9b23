// Confirms deleting a token by name; the list refreshes without a reload.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Dialog } from '../components/dialog';
import { DialogActions } from '../components/dialog-actions';
import { useTRPC, type TokenListItem } from '../trpc';

export function DeleteTokenDialog({
  token,
  teamId,
  onClose,
  onDeleted = onClose,
}: {
  token: TokenListItem;
  teamId: number | null;
  onClose: () => void;
  /** What follows a deletion; closing the dialog by default (the token page leaves for the list). */
  onDeleted?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.apiToken.delete.mutationOptions({
      onSuccess: async () => {
        // Leave first, then refresh: the token's own page must not ask for it again.
        onDeleted();
        await queryClient.invalidateQueries(trpc.apiToken.getMany.pathFilter());
      },
    }),
  );

  return (
    <Dialog title="Delete API token?" onClose={onClose} role="alertdialog" busy={remove.isPending}>
      <p>
        Delete <strong>{token.name}</strong> (<code>{token.start}…</code>)? Anything that uses it stops working at once.
        This cannot be undone.
      </p>
      <DialogActions
        error={remove.error}
        pending={remove.isPending}
        onCancel={onClose}
        label="Delete token"
        pendingLabel="Deleting…"
        onAction={() => remove.mutate({ id: token.id, teamId })}
        danger
        focusCancel
      />
    </Dialog>
  );
}
