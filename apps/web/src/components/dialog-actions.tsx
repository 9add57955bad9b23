// The foot of a dialog: the request's error, if any, then Cancel and the action, both disabled
// while the request runs.
import { ErrorCallout } from './error-callout';

type DialogActionsProps = {
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  label: string;
  pendingLabel: string;
  /** Without it the action submits the dialog's form. */
  onAction?: () => void;
  danger?: boolean;
  /** Focus Cancel when the dialog opens (for confirmations of something destructive). */
  focusCancel?: boolean;
  /** The action is not ready yet (what it needs is still loading); Cancel stays usable. */
  actionDisabled?: boolean;
};

export function DialogActions({
  error,
  pending,
  onCancel,
  label,
  pendingLabel,
  onAction,
  danger = false,
  focusCancel = false,
  actionDisabled = false,
}: DialogActionsProps) {
  return (
    <>
      <ErrorCallout error={error} />
      <div className="dialog-actions">
        <button
          type="button"
          className="button"
          data-autofocus={focusCancel || undefined}
          onClick={onCancel}
          disabled={pending}
        >
          Cancel
        </button>
        <button
          type={onAction ? 'button' : 'submit'}
          className={danger ? 'button button-danger' : 'button button-primary'}
          disabled={pending || actionDisabled}
          onClick={onAction}
        >
          {pending ? pendingLabel : label}
        </button>
      </div>
    </>
  );
}
