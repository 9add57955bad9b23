// Scopes a token can hold. Host applications add their own through `createScopeSet`.

export const BUILTIN_SCOPES = ['tokens:read', 'tokens:write', 'audit:read'] as const;
export type BuiltinScope = (typeof BUILTIN_SCOPES)[number];

/** A scope name: lowercase words separated by `:`, e.g. `tokens:read` or `invoices:write`. */
export const SCOPE_REGEX = /^[a-z][a-z0-9_-]{0,39}(:[a-z0-9_-]{1,40}){0,3}$/;
