// The error line under a form or in a dialog: what the server said, in words a person can act on.
import { errorMessage } from '../trpc';

export function ErrorCallout({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="callout callout-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
