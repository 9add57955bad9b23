// Scopes a token can hold: the built-in ones (what Latchkey's own API needs) and the product's own,
// declared by the operator (TOKEN_SCOPES) or an embedding host. `createScopeSet` builds the one list
// every adapter (REST, tRPC, OpenAPI, the UI, the command line) knows, with what each scope is for.

export const BUILTIN_SCOPES = ['tokens:read', 'tokens:write', 'audit:read'] as const;
export type BuiltinScope = (typeof BUILTIN_SCOPES)[number];

/** What each built-in scope lets a token do, as the create dialog and `--help` say it. */
export const BUILTIN_SCOPE_DESCRIPTIONS: Readonly<Record<BuiltinScope, string>> = {
  'tokens:read': 'List tokens and read their details and usage',
  'tokens:write': 'Create, rotate and delete tokens',
  'audit:read': 'Read the audit log',
};

/** A scope name: lowercase words separated by `:`, e.g. `tokens:read` or `invoices:write`. */
export const SCOPE_REGEX = /^[a-z][a-z0-9_-]{0,39}(:[a-z0-9_-]{1,40}){0,3}$/;

/** The most scopes one deployment knows, built-in ones included (a token or a policy lists at most this many). */
export const MAX_KNOWN_SCOPES = 50;

/** The longest scope description: a line in a form, not a paragraph. */
export const MAX_SCOPE_DESCRIPTION_LENGTH = 200;

const CONTROL_OR_INVISIBLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/**
 * Every scope a deployment knows, with what each is for. A plain value (no methods), so it can be
 * passed to every adapter, sent to the browser and compared in tests.
 */
export type ScopeSet = {
  /** The built-in scopes, then the product's own in the order declared. */
  readonly names: readonly string[];
  /** What a scope lets a token do; every built-in scope has one, a product scope only when described. */
  readonly descriptions: Readonly<Record<string, string>>;
};

/**
 * The scope set of a deployment: the built-in scopes plus the product's own, each described if a
 * description is given. Everything is checked here, at start, since no request could fix it later:
 * a product scope must be a scope name, given once, not a built-in one; a description must describe
 * a product scope given here and be one line of 1 to 200 characters. Throws an Error whose message
 * names the bad entry (callers put the setting's name in front of it).
 */
export function createScopeSet(
  productScopes: readonly string[] = [],
  descriptions: Readonly<Record<string, unknown>> = {},
): ScopeSet {
  const seen = new Set<string>();
  for (const scope of productScopes) {
    if (!SCOPE_REGEX.test(scope)) {
      throw new Error(
        `${JSON.stringify(scope)} is not a scope name: lowercase words separated by ":", e.g. invoices:read ` +
          '(a letter first, then up to 39 letters, digits, - or _; up to three more parts after ":")',
      );
    }
    if ((BUILTIN_SCOPES as readonly string[]).includes(scope)) {
      throw new Error(`"${scope}" is a built-in scope; the product's own scopes need names of their own`);
    }
    if (seen.has(scope)) throw new Error(`"${scope}" is given twice`);
    seen.add(scope);
  }
  const room = MAX_KNOWN_SCOPES - BUILTIN_SCOPES.length;
  if (productScopes.length > room) {
    throw new Error(`${productScopes.length} scopes are too many: at most ${room} besides the built-in ones`);
  }

  const described: Record<string, string> = { ...BUILTIN_SCOPE_DESCRIPTIONS };
  for (const [scope, description] of Object.entries(descriptions)) {
    if (!seen.has(scope)) {
      const which = (BUILTIN_SCOPES as readonly string[]).includes(scope)
        ? 'a built-in scope, described already'
        : `not a declared scope (declared: ${productScopes.join(', ') || 'none'})`;
      throw new Error(`there is a description of ${JSON.stringify(scope)}, which is ${which}`);
    }
    const problem = descriptionProblem(description);
    if (problem) throw new Error(`the description of "${scope}" ${problem}`);
    described[scope] = (description as string).trim();
  }
  return { names: [...BUILTIN_SCOPES, ...productScopes], descriptions: described };
}

function descriptionProblem(description: unknown): string | null {
  if (typeof description !== 'string') {
    const kind = description === null ? 'null' : Array.isArray(description) ? 'a list' : typeof description;
    return `must be a string, not ${kind}`;
  }
  const text = description.trim();
  if (text === '') return 'is empty';
  if (text.length > MAX_SCOPE_DESCRIPTION_LENGTH) {
    return `is ${text.length} characters long; at most ${MAX_SCOPE_DESCRIPTION_LENGTH}`;
  }
  if (CONTROL_OR_INVISIBLE.test(text)) return 'must be one line without control or invisible characters';
  return null;
}

/** Only the built-in scopes: what a deployment that declares none of its own knows. */
export const BUILTIN_SCOPE_SET: ScopeSet = createScopeSet();
