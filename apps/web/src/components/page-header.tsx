import type { ReactNode } from 'react';

/**
 * The top of a settings page: where it is, its title (the `page-heading` that the router focuses
 * and the page's section is labelled by) and one line on what it holds.
 */
export function PageHeader({ eyebrow, title, children }: { eyebrow: string; title: string; children: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <p className="eyebrow">{eyebrow}</p>
        <h1 id="page-heading" tabIndex={-1}>
          {title}
        </h1>
        <p className="muted">{children}</p>
      </div>
    </div>
  );
}
