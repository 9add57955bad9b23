// Every route of /api/v1. Adding one: a declaration (see define-route.ts) and its library function.
import type { RestRoute } from '../define-route';
import { revokeCredentials } from './credentials';
import { getMe } from './me';
import { openApiDocument } from './openapi-document';
import { createToken, deleteToken, getToken, listTokens, rotateToken } from './tokens';
import { getTokenUsage, listAuditEvents } from './usage-and-audit';

export const REST_ROUTES: readonly RestRoute[] = [
  getMe,
  listTokens,
  createToken,
  getToken,
  deleteToken,
  rotateToken,
  getTokenUsage,
  listAuditEvents,
  revokeCredentials,
  openApiDocument,
];
