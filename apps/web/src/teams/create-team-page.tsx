// Create a team: a name and the slug its pages live under; the creator becomes its admin.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZTeamName, ZTeamSlug } from '@latchkey/lib/types';
import { Field, firstIssue } from '../components/field';
import { navigate, paths } from '../router';
import { ErrorCallout } from '../components/error-callout';
import { useTRPC } from '../trpc';
import { PageHeader } from '../components/page-header';

export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}

export function CreateTeamPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [errors, setErrors] = useState<{ name?: string | null; slug?: string | null }>({});
  const create = useMutation(
    trpc.team.create.mutationOptions({
      onSuccess: async (team) => {
        await queryClient.invalidateQueries(trpc.team.getMany.pathFilter());
        navigate(paths.teamTokens(team.slug));
      },
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const next = { name: firstIssue(ZTeamName.safeParse(name)), slug: firstIssue(ZTeamSlug.safeParse(slug)) };
    setErrors(next);
    if (next.name || next.slug) {
      document.getElementById(next.name ? 'team-name' : 'team-slug')?.focus();
      return;
    }
    create.mutate({ name: name.trim(), slug: slug.trim() });
  }

  return (
    <section aria-labelledby="page-heading" className="narrow">
      <PageHeader eyebrow="Teams" title="Create a team">
        A team owns its own API tokens. You become its admin and can add members afterwards.
      </PageHeader>
      <form onSubmit={submit} noValidate className="card">
        <Field
          id="team-name"
          label="Team name"
          value={name}
          autoComplete="off"
          error={errors.name}
          onChange={(event) => {
            setName(event.target.value);
            if (!slugEdited) setSlug(slugFromName(event.target.value));
          }}
          autoFocus
        />
        <Field
          id="team-slug"
          label="Slug"
          value={slug}
          autoComplete="off"
          spellCheck={false}
          error={errors.slug}
          hint={`Lowercase letters, digits and dashes. The team's pages live at /t/${slug || 'your-team'}.`}
          onChange={(event) => {
            setSlugEdited(true);
            setSlug(event.target.value);
          }}
        />
        <ErrorCallout error={create.error} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create team'}
          </button>
        </div>
      </form>
    </section>
  );
}
