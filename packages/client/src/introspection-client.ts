// Asks a Latchkey server whether a token is active (RFC 7662 introspection), as a service client
// made by its operator (`latchkey service:create`). Needs no database and no Latchkey code beyond
// this file: a POST with the client's credentials (`client_secret_basic`) and the token.
import { parseBaseUrl } from './base-url.js';

/** What Latchkey answers for an active token: RFC 7662's fields, and its own under `latchkey`. */
export type ActiveIntrospection = {
  active: true;
  /** The token's scopes, space-separated ('' for none). */
  scope: string;
  token_type: 'Bearer';
  /** `user:<id>` or `team:<id>`: whose token it is. */
  sub: string;
  /** The owner's e-mail, or the team's slug. */
  username?: string;
  /** When the token was made, in Unix seconds. */
  iat: number;
  /** When it stops working, in Unix seconds; absent for a token that never expires. */
  exp?: number;
  iss?: string;
  /** The token's id, as text. */
  jti: string;
  latchkey: {
    tokenId: number;
    name: string;
    /** A personal token's user, or the user who made a team token (null if they were deleted). */
    userId: number | null;
    teamId: number | null;
    teamSlug: string | null;
    /** The addresses it may be used from; [] is any. */
    allowedIps: string[];
  };
};

/** Every other token (unknown, malformed, expired, revoked, its owner disabled): nothing more is said. */
export type InactiveIntrospection = { active: false };

export type Introspection = ActiveIntrospection | InactiveIntrospection;

export type IntrospectionClientOptions = {
  /** Where the Latchkey server is (its issuer), e.g. `https://latchkey.example.com`. */
  baseUrl: string;
  /** `svc_…`, as `latchkey service:create` printed it. */
  clientId: string;
  /** `lks_…`, as `latchkey service:create` printed it. */
  clientSecret: string;
  /** A fetch to use instead of the global one. */
  fetch?: (request: Request) => Promise<Response>;
};

/** Introspection did not answer: bad client credentials (401), over the client's limit (429), a server error. */
export class IntrospectionError extends Error {
  readonly status: number;
  /** The answer's body: `{ error }` (OAuth) or `{ code, message }` (Latchkey), when it was JSON. */
  readonly body: unknown;
  /** Seconds to wait, from `Retry-After` on a 429. */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, retryAfter: number | undefined) {
    const detail = describe(body);
    super(`Latchkey introspection answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'IntrospectionError';
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

function describe(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const { error, message } = body as { error?: unknown; message?: unknown };
  return typeof error === 'string' ? error : typeof message === 'string' ? message : '';
}

export type IntrospectionClient = {
  /**
   * Whether `token` is active, and whose it is. `clientIp`: the address of the caller who presented
   * it, checked against the token's address list (a token limited to addresses is inactive without
   * it). Rejects with an `IntrospectionError` when the server refuses the question, and as `fetch`
   * does when it cannot be reached.
   */
  introspect(token: string, options?: { clientIp?: string }): Promise<Introspection>;
};

/** RFC 6749 2.3.1: each part of Basic credentials is form-encoded first. */
const formEncoded = (text: string) => new URLSearchParams({ x: text }).toString().slice(2);

export function createIntrospectionClient(options: IntrospectionClientOptions): IntrospectionClient {
  const caller = 'createIntrospectionClient';
  const endpoint = `${parseBaseUrl(options.baseUrl, caller)}/api/v1/introspect`;
  for (const key of ['clientId', 'clientSecret'] as const) {
    if (typeof options[key] !== 'string' || options[key].trim() === '')
      throw new TypeError(`${caller}: \`${key}\` must be the non-empty value latchkey service:create printed`);
  }
  const credentials = `${formEncoded(options.clientId.trim())}:${formEncoded(options.clientSecret.trim())}`;
  const authorization = `Basic ${btoa(credentials)}`;
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));

  return {
    async introspect(token, { clientIp } = {}) {
      const form = new URLSearchParams({ token });
      if (clientIp !== undefined) form.set('client_ip', clientIp);
      const response = await send(
        new Request(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
        }),
      );
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (response.status !== 200 || typeof (body as { active?: unknown } | undefined)?.active !== 'boolean') {
        const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
        throw new IntrospectionError(response.status, body, Number.isFinite(retryAfter) ? retryAfter : undefined);
      }
      return body as Introspection;
    },
  };
}
