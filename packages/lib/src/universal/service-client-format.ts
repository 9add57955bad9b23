// The credentials of a service client (a caller of introspection): `client_id` is `svc_` and 20
// base62 characters (not a secret: it names the client in logs and in `service:list`),
// `client_secret` is `lks_` and 40 base62 characters (about 238 bits). The prefixes let a secret
// scanner tell a leaked client secret from an API token (`api_`).
import { customAlphabet } from 'nanoid';
import { BASE62 } from './token-format.js';

export const SERVICE_CLIENT_ID_PREFIX = 'svc_';
export const SERVICE_CLIENT_SECRET_PREFIX = 'lks_';
export const SERVICE_CLIENT_ID_REGEX = /^svc_[0-9A-Za-z]{20}$/;
export const SERVICE_CLIENT_SECRET_REGEX = /^lks_[0-9A-Za-z]{40}$/;

const idPart = customAlphabet(BASE62, 20);
const secretPart = customAlphabet(BASE62, 40);

export function generateServiceClientId(): string {
  return SERVICE_CLIENT_ID_PREFIX + idPart();
}

export function generateServiceClientSecret(): string {
  return SERVICE_CLIENT_SECRET_PREFIX + secretPart();
}
