// The typed tRPC client: AppRouter crosses as a type only, so no server code reaches the bundle.
import type { AppRouter } from '@latchkey/api';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { trpcTransformer } from '@latchkey/lib/universal';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** What each procedure takes and returns, as the server declares it: the UI types nothing by hand. */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type SignedInUser = NonNullable<RouterOutputs['auth']['me']['user']>;
export type TeamWithRole = RouterOutputs['team']['getMany'][number];
export type TeamMember = RouterOutputs['team']['members']['getMany'][number];
export type TokenListItem = RouterOutputs['apiToken']['getMany'][number];

export function createTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: '/api/trpc', transformer: trpcTransformer })],
  });
}

/** The tRPC error code of a failed call (`UNAUTHORIZED`, `FORBIDDEN`, …), or null for other errors. */
export function errorCode(error: unknown): string | null {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : null;
  }
  return null;
}

/** The server's message about one field (`password`, …) of a refused form, or null when it named none. */
export function fieldIssue(error: unknown, path: string): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const issues = (error.data as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return null;
  const issue = issues.find((i: { path?: unknown }) => i?.path === path) as { message?: unknown } | undefined;
  return typeof issue?.message === 'string' ? issue.message : null;
}

/** A message a person can act on; the server's messages are written for people already. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const code = errorCode(error);
    if (code === 'INTERNAL_SERVER_ERROR') return 'Something went wrong on the server. Try again in a moment.';
    if (code === 'TOO_MANY_REQUESTS') return 'Too many requests. Wait a minute and try again.';
    if (error.message && code) return error.message;
    // No code: the request never got a tRPC answer (offline, server down, proxy error page).
    return 'Could not reach the server. Check your connection and try again.';
  }
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}

/** `onUnauthorized` is handed the client it was made for. */
export function createQueryClient(onUnauthorized: (queryClient: QueryClient) => void) {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError(error) {
        // A session that ended elsewhere (signed out in another tab, expired): back to sign-in.
        if (errorCode(error) === 'UNAUTHORIZED') onUnauthorized(queryClient);
      },
    }),
    mutationCache: new MutationCache({
      onError(error) {
        if (errorCode(error) === 'UNAUTHORIZED') onUnauthorized(queryClient);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Retry only what may pass on a second try: not a 4xx the server meant.
        retry: (failureCount, error) => {
          const code = errorCode(error);
          if (code && code !== 'INTERNAL_SERVER_ERROR') return false;
          return failureCount < 2;
        },
      },
    },
  });
  return queryClient;
}
