// A small history router: the server answers every page path with index.html, so plain paths work.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(to: string, { replace = false } = {}) {
  if (to === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const listener of listeners) listener();
  window.scrollTo(0, 0);
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export type Route =
  | { name: 'sign-in' }
  | { name: 'sign-up' }
  | { name: 'personal-tokens' }
  | { name: 'personal-token'; id: number }
  | { name: 'team-token'; slug: string; id: number }
  | { name: 'account' }
  | { name: 'create-team' }
  | { name: 'team-tokens'; slug: string }
  | { name: 'team-members'; slug: string }
  | { name: 'team-policy'; slug: string }
  | { name: 'team-settings'; slug: string }
  | { name: 'personal-activity' }
  | { name: 'team-activity'; slug: string }
  | { name: 'not-found' };

export const paths = {
  signIn: '/sign-in',
  signUp: '/sign-up',
  personalTokens: '/settings/tokens',
  personalToken: (id: number) => `/settings/tokens/${id}`,
  teamToken: (slug: string, id: number) => `/t/${slug}/settings/tokens/${id}`,
  account: '/settings/account',
  createTeam: '/settings/teams/new',
  teamTokens: (slug: string) => `/t/${slug}/settings/tokens`,
  teamMembers: (slug: string) => `/t/${slug}/settings/members`,
  teamPolicy: (slug: string) => `/t/${slug}/settings/policy`,
  teamSettings: (slug: string) => `/t/${slug}/settings/team`,
  personalActivity: '/settings/activity',
  teamActivity: (slug: string) => `/t/${slug}/settings/activity`,
};

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/sign-in') return { name: 'sign-in' };
  if (path === '/sign-up') return { name: 'sign-up' };
  if (path === '/' || path === '/settings' || path === '/settings/tokens') return { name: 'personal-tokens' };
  if (path === '/settings/teams/new') return { name: 'create-team' };
  if (path === '/settings/activity') return { name: 'personal-activity' };
  if (path === '/settings/account') return { name: 'account' };
  const personalToken = /^\/settings\/tokens\/([1-9][0-9]{0,14})$/.exec(path);
  if (personalToken) return { name: 'personal-token', id: Number(personalToken[1]) };
  const teamToken = /^\/t\/([a-z0-9-]+)\/settings\/tokens\/([1-9][0-9]{0,14})$/.exec(path);
  if (teamToken) return { name: 'team-token', slug: teamToken[1]!, id: Number(teamToken[2]) };
  const teamActivity = /^\/t\/([a-z0-9-]+)\/settings\/activity$/.exec(path);
  if (teamActivity) return { name: 'team-activity', slug: teamActivity[1]! };
  const team = /^\/t\/([a-z0-9-]+)\/settings(?:\/(tokens|members|policy|team))?$/.exec(path);
  if (team) {
    const slug = team[1]!;
    if (team[2] === 'members') return { name: 'team-members', slug };
    if (team[2] === 'policy') return { name: 'team-policy', slug };
    if (team[2] === 'team') return { name: 'team-settings', slug };
    return { name: 'team-tokens', slug };
  }
  return { name: 'not-found' };
}

/** An <a> that changes the page without a reload; a modified click still opens a new tab. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function handleClick(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={handleClick} {...rest} />;
}
