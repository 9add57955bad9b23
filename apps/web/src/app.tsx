// The root: providers, who is signed in, and which page the address asks for.
import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { SignInPage, SignUpPage } from './auth/auth-pages';
import { navigate, matchRoute, paths, usePathname } from './router';
import { SettingsLayout } from './settings/settings-layout';
import { createQueryClient, createTrpcClient, errorMessage, TRPCProvider, useTRPC } from './trpc';

export function App() {
  const [trpcClient] = useState(createTrpcClient);
  const [queryClient] = useState(() =>
    createQueryClient((client) => {
      // Ask again who is signed in; a null answer shows the sign-in page.
      void client.invalidateQueries({ queryKey: [['auth', 'me']] });
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Routes />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function Routes() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: Infinity }));
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const user = me.data?.user ?? null;
  const onAuthPage = route.name === 'sign-in' || route.name === 'sign-up';

  // Keep the address in step with what is shown: signed out → /sign-in, signed in → away from it.
  useEffect(() => {
    if (!me.data) return;
    if (!user && !onAuthPage) navigate(paths.signIn, { replace: true });
    if (user && onAuthPage) navigate(paths.personalTokens, { replace: true });
  }, [me.data, user, onAuthPage]);

  if (me.isPending) return <AppLoading />;
  if (me.isError)
    return (
      <main className="auth-page">
        <div className="auth-card" role="alert">
          <h1>Latchkey is not answering</h1>
          <p>{errorMessage(me.error)}</p>
          <button type="button" className="button button-primary" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
  if (!user) return route.name === 'sign-up' ? <SignUpPage /> : <SignInPage />;
  return (
    <SettingsLayout
      user={user}
      route={onAuthPage ? { name: 'personal-tokens' } : route}
      pathname={onAuthPage ? paths.personalTokens : pathname}
    />
  );
}

function AppLoading() {
  return (
    <div className="app" aria-busy="true">
      <header className="topbar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            ⌘
          </span>{' '}
          Latchkey
        </span>
      </header>
      <p className="visually-hidden" role="status">
        Loading…
      </p>
    </div>
  );
}
