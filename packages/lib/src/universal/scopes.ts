// Scopes a token can hold. Products add their own through `createScopeSet` (createLatchkey's
// `scopes` go through it), so every adapter knows one list.

export const BUILTIN_SCOPES = ['tokens:read', 'tokens:write', 'audit:read'] as const;
export type BuiltinScope = (typeof BUILTIN_SCOPES)[number];

/** A scope name: lowercase words separated by `:`, e.g. `tokens:read` or `invoices:write`. */
export const SCOPE_REGEX = /^[a-z][a-z0-9_-]{0,39}(:[a-z0-9_-]{1,40}){0,3}$/;

/**
 * Every scope a deployment knows: the built-in ones, then the host's own, each once. A host scope
 * that is not a scope name is refused here, at start: no request could ever name it.
 */
export function createScopeSet(hostScopes: readonly string[] = []): string[] {
  for (const scope of hostScopes) {
    if (!SCOPE_REGEX.test(scope)) {
      throw new Error(
        `Scope ${JSON.stringify(scope)} is not a scope name: lowercase words separated by ":", e.g. invoices:read`,
      );
    }
  }
  return [...new Set<string>([...BUILTIN_SCOPES, ...hostScopes])];
}
