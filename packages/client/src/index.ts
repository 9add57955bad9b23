// @latchkey/client: the public REST API of a Latchkey server, typed from its OpenAPI document.
// Calls go through openapi-fetch; every path, parameter, body and answer is typed by the generated
// `paths`, so a call the server would refuse as malformed does not compile. Services that only
// check tokens use `createIntrospectionClient` or the `requireToken` middleware (introspection).
import createClient, { type Client } from 'openapi-fetch';
import { parseBaseUrl } from './base-url.js';
import type { components, paths } from './generated/openapi.js';

export type { components, operations, paths } from './generated/openapi.js';

type Schemas = components['schemas'];
export type TokenMetadata = Schemas['TokenMetadata'];
export type TokenList = Schemas['TokenList'];
export type CreatedToken = Schemas['CreatedToken'];
/** A rotation's answer: the new token, and when the old one stops (`previousTokenStopsAt`). */
export type RotatedToken = Schemas['RotatedToken'];
export type CreateTokenRequest = Schemas['CreateTokenRequest'];
export type RotateTokenRequest = Schemas['RotateTokenRequest'];
export type Me = Schemas['Me'];
/** Every error body: `{ code, message }`, with `issues` for a field the server refused. */
export type ApiError = Schemas['Error'];
export type ErrorCode = ApiError['code'];

export type LatchkeyClient = Client<paths>;

export type LatchkeyClientOptions = {
  /** Where the server is, e.g. `https://latchkey.example.com`; requests go to `${baseUrl}/api/v1`. */
  baseUrl: string;
  /** The API token every request is made with (`Authorization: Bearer …`). */
  token: string;
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (request: Request) => Promise<Response>;
};

export function createLatchkeyClient(options: LatchkeyClientOptions): LatchkeyClient {
  const base = parseBaseUrl(options.baseUrl, 'createLatchkeyClient');
  if (typeof options.token !== 'string' || options.token.trim() === '') {
    throw new TypeError('createLatchkeyClient: `token` must be a non-empty API token');
  }
  return createClient<paths>({
    baseUrl: `${base}/api/v1`,
    headers: { Authorization: `Bearer ${options.token.trim()}` },
    // Called through a wrapper so the global fetch is looked up per request (and can be replaced).
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
  });
}

export {
  createIntrospectionClient,
  IntrospectionError,
  type ActiveIntrospection,
  type InactiveIntrospection,
  type Introspection,
  type IntrospectionClient,
  type IntrospectionClientOptions,
} from './introspection-client.js';
export {
  requireToken,
  tokenOf,
  type RequestLike,
  type RequireTokenOptions,
  type ResponseLike,
} from './require-token.js';
