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

export function TokenReveal({ token, children }: { token: string; children?: ReactNode }) {
  const valueRef = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');

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
      <code ref={valueRef} className="token-value" aria-labelledby="new-token-label" data-testid="new-token" onDoubleClick={(event) => selectContents(event.currentTarget)}>
        {token}
      </code>
      <div className="token-copy-row">
        <button
          type="button"
          className="button button-primary"
          data-autofocus
          onClick={async () => setCopied((await copyText(token, valueRef.current)) ? 'copied' : 'failed')}
        >
          {copied === 'copied' ? 'Copied' : 'Copy token'}
        </button>
        <p className="field-hint" role="status" aria-live="polite">
          {copied === 'copied' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not copy: the token is selected, press Ctrl+C (⌘C on a Mac).' : ''}
        </p>
      </div>
    </div>
  );
}

/** The dialog that shows a new token once, with a Done button; closing it forgets the token. */
export function TokenRevealDialog({ title, token, onClose, children }: { title: string; token: string; onClose: () => void; children?: ReactNode }) {
  return (
    <Dialog title={title} onClose={onClose}>
      <TokenReveal token={token}>{children}</TokenReveal>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
