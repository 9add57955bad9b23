// A modal on the native <dialog>: showModal traps focus and makes the page inert, Escape closes it,
// and focus goes back to what opened it. Mount it to open it, unmount it to close it, so whatever
// it held (a new token) is forgotten with it.
import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';

type DialogProps = {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** role="alertdialog" for confirmations of something destructive. */
  role?: 'dialog' | 'alertdialog';
  /** While a request runs the dialog stays open, so its answer (a new token) is not lost. */
  busy?: boolean;
  /**
   * Called instead of closing when the user dismisses the dialog with Escape or ×, for a dialog
   * that must ask first (a new token not yet copied). Without it, dismissing closes.
   */
  onDismiss?: () => void;
};

const FOCUSABLE =
  'input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]';

export function Dialog({ title, onClose, children, role, busy = false, onDismiss }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  const busyRef = useRef(busy);
  const onDismissRef = useRef(onDismiss);
  // The listeners below are added once; they read the latest props through these refs.
  useLayoutEffect(() => {
    onCloseRef.current = onClose;
    busyRef.current = busy;
    onDismissRef.current = onDismiss;
  });
  const dismiss = () => (onDismissRef.current ?? onCloseRef.current)();

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // StrictMode (development) mounts this effect twice: the first cleanup's close() queues a
    // `close` event that arrives after the second showModal. A dialog that is open again has not closed.
    const handleClose = () => {
      if (!dialog.open) onCloseRef.current();
    };
    const handleCancel = (event: Event) => {
      if (busyRef.current || onDismissRef.current) event.preventDefault();
      if (!busyRef.current) onDismissRef.current?.();
    };
    // Chromium lets a page refuse only one Escape in a row through `cancel`; refusing the key
    // itself keeps a dialog that asks first open however often Escape is pressed.
    const handleKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || !onDismissRef.current) return;
      event.preventDefault();
      if (!busyRef.current) onDismissRef.current();
    };
    dialog.addEventListener('close', handleClose);
    dialog.addEventListener('cancel', handleCancel);
    dialog.addEventListener('keydown', handleKeyDown);
    dialog.showModal();
    return () => {
      dialog.removeEventListener('close', handleClose);
      dialog.removeEventListener('cancel', handleCancel);
      dialog.removeEventListener('keydown', handleKeyDown);
      if (dialog.open) dialog.close();
      // The opener may be gone (its row was deleted): then the page heading takes focus.
      const target = opener?.isConnected ? opener : document.getElementById('page-heading');
      target?.focus();
    };
  }, []);

  // Focus the field to start with on open, and again when the dialog moves on to its next step
  // (form → new token), whose title differs.
  useLayoutEffect(() => {
    const dialog = ref.current!;
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
  }, [title]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-busy={busy || undefined}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
    >
      <div className="dialog-header">
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        <button type="button" className="icon-button" aria-label="Close" disabled={busy} onClick={dismiss}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {children}
    </dialog>
  );
}
