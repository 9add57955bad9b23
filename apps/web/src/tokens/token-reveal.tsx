// The plain token, shown once after create or rotate, with a Copy button.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Dialog } from '../components/dialog';

function selectContents(element: HTMLElement) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

async function copyText(text: string, element: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on a non-local host) or no permission: select it for Ctrl+C.
    if (!element) return false;
    selectContents(element);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** The token with its Copy button; `onCopied` hears of every copy, by the button or by Ctrl+C. */
export function TokenReveal({
  token,
  onCopied,
  children,
}: {
  token: string;
  onCopied?: () => void;
  children?: ReactNode;
}) {
  const valueRef = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const onCopiedRef = useRef(onCopied);
  useEffect(() => {
    onCopiedRef.current = onCopied;
  });

  // Selecting the token and pressing Ctrl+C (or the menu's Copy) counts as copying it too.
  useEffect(() => {
    const handleCopy = () => {
      if (window.getSelection()?.toString().includes(token)) onCopiedRef.current?.();
    };
    document.addEventListener('copy', handleCopy);
    return () => document.removeEventListener('copy', handleCopy);
  }, [token]);

  useEffect(() => {
    if (copied !== 'copied') return;
    const timer = setTimeout(() => setCopied('idle'), 4000);
    return () => clearTimeout(timer);
  }, [copied]);

  return (
    <div className="token-reveal">
      <p className="callout callout-warning">
        <strong>Copy this token now.</strong> It will not be shown again: Latchkey keeps only a hash of it.
      </p>
      {children}
      <p className="field-label" id="new-token-label">
        Your new API token
      </p>
      <code
        ref={valueRef}
        className="token-value"
        aria-labelledby="new-token-label"
        data-testid="new-token"
        onDoubleClick={(event) => selectContents(event.currentTarget)}
      >
        {token}
      </code>
      <div className="token-copy-row">
        <button
          type="button"
          className="button button-primary"
          data-autofocus
          onClick={() =>
            void copyText(token, valueRef.current).then((done) => {
              setCopied(done ? 'copied' : 'failed');
              if (done) onCopiedRef.current?.();
            })
          }
        >
          {copied === 'copied' ? 'Copied' : 'Copy token'}
        </button>
        <p className="field-hint" role="status" aria-live="polite">
          {copied === 'copied'
            ? 'Copied to the clipboard.'
            : copied === 'failed'
              ? 'Could not copy: the token is selected, press Ctrl+C (⌘C on a Mac).'
              : ''}
        </p>
      </div>
      <details className="token-usage-hint">
        <summary>How to use this token</summary>
        <p>
          Send it in the <code>Authorization</code> header of each request: <code>Authorization: Bearer api_…</code>.
          Keep it in an environment variable or a secret store, never in code. For example, with the token in{' '}
          <code>LATCHKEY_TOKEN</code>:
        </p>
        <pre className="code-block" data-testid="usage-hint-curl">
          <code>{`curl -H "Authorization: Bearer $LATCHKEY_TOKEN" \\\n  ${window.location.origin}/api/v1/me`}</code>
        </pre>
        <p className="muted">
          The <a href="/api/docs">API reference</a> lists every route and the scope it needs.
        </p>
      </details>
    </div>
  );
}

/**
 * The dialog that shows a new token once, with a Done button; closing it forgets the token. Escape
 * or × before the token was copied asks first, since a closed token cannot be shown again.
 */
export function TokenRevealDialog({
  title,
  token,
  onClose,
  children,
}: {
  title: string;
  token: string;
  onClose: () => void;
  children?: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  const [asking, setAsking] = useState(false);
  const keepRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (asking) keepRef.current?.focus();
  }, [asking]);

  return (
    <Dialog
      title={title}
      onClose={onClose}
      onDismiss={() => {
        if (copied) onClose();
        // A second Escape while asking answers "keep it open".
        else setAsking((wasAsking) => !wasAsking);
      }}
    >
      <TokenReveal
        token={token}
        onCopied={() => {
          setCopied(true);
          setAsking(false);
        }}
      >
        {children}
      </TokenReveal>
      {asking ? (
        <div className="callout callout-error close-check" role="alert">
          <p>
            <strong>You have not copied this token.</strong> Once this dialog closes it cannot be shown again; you would
            have to rotate it or create another.
          </p>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Close without copying
            </button>
            <button ref={keepRef} type="button" className="button button-primary" onClick={() => setAsking(false)}>
              Keep it open
            </button>
          </div>
        </div>
      ) : (
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}
