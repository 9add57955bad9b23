// Whether a request path lies under a mount point, matched as express matches `app.use(prefix)`:
// in any case, the prefix followed by `/` or nothing.
export function isUnder(path: string, prefix: string): boolean {
  if (path.length < prefix.length || path.slice(0, prefix.length).toLowerCase() !== prefix) return false;
  return path.length === prefix.length || path[prefix.length] === '/';
}

export const REST_PREFIX = '/api/v1';
export const TRPC_PREFIX = '/api/trpc';
