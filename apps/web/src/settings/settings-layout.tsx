// The signed-in frame: a header with the account and sign-out, a settings menu (personal, then each
// team), and the page of the current route.
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { CreateTeamPage } from '../teams/create-team-page';
import { ActivityPage } from '../audit/activity-page';
import { TeamMembersPage } from '../teams/team-members-page';
import { TeamPolicyPage } from '../teams/team-policy-page';
import { TeamSettingsPage } from '../teams/team-settings-page';
import { AccountPage } from '../account/account-page';
import { ApiTokensPage } from '../tokens/api-tokens-page';
import { TokenDetailPage } from '../tokens/token-detail-page';
import { Link, navigate, paths, type Route } from '../router';
import { errorMessage, useTRPC, type SignedInUser, type TeamWithRole } from '../trpc';

export function SettingsLayout({ user, route, pathname }: { user: SignedInUser; route: Route; pathname: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const teams = useQuery(trpc.team.getMany.queryOptions());
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: () => {
        // Forget everything of this account; the null user shows the sign-in page.
        const meKey = JSON.stringify(trpc.auth.me.queryKey());
        queryClient.removeQueries({ predicate: (query) => JSON.stringify(query.queryKey) !== meKey });
        queryClient.setQueryData(trpc.auth.me.queryKey(), { user: null });
        navigate(paths.signIn, { replace: true });
      },
    }),
  );

  const title = pageTitle(route, teams.data);
  useEffect(() => {
    document.title = title ? `${title} · Latchkey` : 'Latchkey';
  }, [title]);
  // On a phone the menu is behind a button; it is open only on the page it was opened on, so going
  // to a page closes it.
  const [menu, setMenu] = useState({ open: false, pathname });
  const menuOpen = menu.open && menu.pathname === pathname;
  const setMenuOpen = (open: boolean) => setMenu({ open, pathname });

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href={paths.personalTokens} className="brand">
          <span className="brand-mark" aria-hidden="true">
            ⌘
          </span>{' '}
          Latchkey
        </Link>
        <button
          type="button"
          className="button button-small nav-toggle"
          aria-expanded={menuOpen}
          aria-controls="settings-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span aria-hidden="true" className="nav-toggle-icon">
            {menuOpen ? '✕' : '☰'}
          </span>
          Menu
        </button>
        <div className="account">
          <span className="account-name" title={user.email}>
            {user.name}
          </span>
          <button
            type="button"
            className="button button-small"
            onClick={() => signOut.mutate()}
            disabled={signOut.isPending}
          >
            Sign out
          </button>
        </div>
      </header>
      {signOut.isError && (
        <p className="callout callout-error banner" role="alert">
          {errorMessage(signOut.error)}
        </p>
      )}
      <div className="layout">
        <nav
          id="settings-nav"
          className="sidenav"
          aria-label="Settings"
          data-open={menuOpen}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && menuOpen) setMenuOpen(false);
          }}
        >
          <div className="nav-group">
            <p className="nav-heading">Personal</p>
            <NavLink
              href={paths.personalTokens}
              pathname={pathname}
              aliases={['/', '/settings']}
              section={/^\/settings\/tokens\/\d+$/}
            >
              API Tokens
            </NavLink>
            <NavLink href={paths.personalActivity} pathname={pathname}>
              Activity
            </NavLink>
            <NavLink href={paths.account} pathname={pathname}>
              Account
            </NavLink>
          </div>
          <div className="nav-group">
            <p className="nav-heading">Teams</p>
            <NavLink href={paths.createTeam} pathname={pathname}>
              + Create team
            </NavLink>
          </div>
          {/* Teams come last, so nothing moves when they arrive. */}
          {teams.isPending ? (
            <div className="nav-group nav-team" aria-hidden="true">
              <p className="nav-subheading">
                <span className="skeleton" style={{ width: '6rem' }} />
              </p>
              <span className="nav-link">
                <span className="skeleton" style={{ width: '5rem' }} />
              </span>
            </div>
          ) : (
            teams.data?.map((team) => (
              <div className="nav-group nav-team" key={team.id} role="group" aria-label={`Team ${team.name}`}>
                <p className="nav-subheading" title={`Your role: ${team.role.toLowerCase()}`}>
                  {team.name}
                </p>
                <NavLink
                  href={paths.teamTokens(team.slug)}
                  pathname={pathname}
                  aliases={[`/t/${team.slug}/settings`]}
                  section={new RegExp(`^/t/${team.slug}/settings/tokens/\\d+$`)}
                >
                  API Tokens
                </NavLink>
                <NavLink href={paths.teamMembers(team.slug)} pathname={pathname}>
                  Members
                </NavLink>
                <NavLink href={paths.teamPolicy(team.slug)} pathname={pathname}>
                  Token policy
                </NavLink>
                {team.role === 'ADMIN' && (
                  <NavLink href={paths.teamActivity(team.slug)} pathname={pathname}>
                    Activity
                  </NavLink>
                )}
                {team.role === 'ADMIN' && (
                  <NavLink href={paths.teamSettings(team.slug)} pathname={pathname}>
                    Team settings
                  </NavLink>
                )}
              </div>
            ))
          )}
        </nav>
        <main id="main" className="content">
          <Page route={route} user={user} teams={teams} />
        </main>
      </div>
    </div>
  );
}

function NavLink({
  href,
  pathname,
  aliases = [],
  section,
  children,
}: {
  href: string;
  pathname: string;
  aliases?: string[];
  /** Pages below this one (a token's page under API Tokens): the link is marked as their section. */
  section?: RegExp;
  children: ReactNode;
}) {
  const path = pathname.replace(/\/+$/, '') || '/';
  const current = pathname === href || aliases.includes(path);
  const inSection = !current && section?.test(path) === true;
  return (
    <Link href={href} className="nav-link" aria-current={current ? 'page' : inSection ? 'location' : undefined}>
      {children}
    </Link>
  );
}

function Page({
  route,
  user,
  teams,
}: {
  route: Route;
  user: SignedInUser;
  teams: UseQueryResult<TeamWithRole[], unknown>;
}) {
  switch (route.name) {
    case 'personal-tokens':
      return <ApiTokensPage team={null} />;
    case 'personal-token':
      return <TokenDetailPage key={route.id} team={null} tokenId={route.id} />;
    case 'create-team':
      return <CreateTeamPage />;
    case 'personal-activity':
      return <ActivityPage team={null} />;
    case 'account':
      return <AccountPage user={user} />;
    case 'team-activity':
    case 'team-settings':
    case 'team-token':
    case 'team-tokens':
    case 'team-members':
    case 'team-policy': {
      if (teams.isPending) return <PagePlaceholder />;
      if (teams.isError)
        return (
          <div className="empty-state" role="alert">
            <h1 id="page-heading" tabIndex={-1}>
              Could not load your teams
            </h1>
            <p>{errorMessage(teams.error)}</p>
            <button type="button" className="button" onClick={() => void teams.refetch()}>
              Try again
            </button>
          </div>
        );
      const team = teams.data?.find((t) => t.slug === route.slug);
      if (!team) return <NotFound message={`There is no team “${route.slug}”, or you are not a member of it.`} />;
      if (route.name === 'team-activity') return <ActivityPage key={team.id} team={team} />;
      if (route.name === 'team-token')
        return <TokenDetailPage key={`${team.id}-${route.id}`} team={team} tokenId={route.id} />;
      if (route.name === 'team-policy') return <TeamPolicyPage key={team.id} team={team} />;
      if (route.name === 'team-settings') return <TeamSettingsPage key={team.id} team={team} />;
      return route.name === 'team-tokens' ? (
        <ApiTokensPage key={team.id} team={team} />
      ) : (
        <TeamMembersPage key={team.id} team={team} currentUserId={user.id} />
      );
    }
    default:
      return <NotFound message="There is no page at this address." />;
  }
}

function PagePlaceholder() {
  return (
    <div aria-busy="true">
      <div className="page-header">
        <div>
          <span className="skeleton skeleton-title" />
          <span className="skeleton" style={{ width: '60%' }} />
        </div>
      </div>
      <p className="visually-hidden" role="status">
        Loading…
      </p>
    </div>
  );
}

function NotFound({ message }: { message: string }) {
  return (
    <div className="empty-state">
      <h1 id="page-heading" tabIndex={-1}>
        Page not found
      </h1>
      <p>{message}</p>
      <Link href={paths.personalTokens} className="button">
        Go to your API tokens
      </Link>
    </div>
  );
}

function pageTitle(route: Route, teams: TeamWithRole[] | undefined): string {
  const team = 'slug' in route ? teams?.find((t) => t.slug === route.slug) : undefined;
  switch (route.name) {
    case 'personal-tokens':
      return 'API Tokens';
    case 'create-team':
      return 'Create a team';
    case 'team-tokens':
      return team ? `API Tokens · ${team.name}` : 'API Tokens';
    case 'personal-token':
      return 'API token';
    case 'team-token':
      return team ? `API token · ${team.name}` : 'API token';
    case 'team-members':
      return team ? `Members · ${team.name}` : 'Members';
    case 'team-policy':
      return team ? `Token policy · ${team.name}` : 'Token policy';
    case 'personal-activity':
      return 'Activity';
    case 'account':
      return 'Account';
    case 'team-settings':
      return team ? `Team settings · ${team.name}` : 'Team settings';
    case 'team-activity':
      return team ? `Activity · ${team.name}` : 'Activity';
    default:
      return '';
  }
}
