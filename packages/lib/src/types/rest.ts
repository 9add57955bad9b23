// Shapes of the public REST API (`/api/v1`): what routes validate with and what the OpenAPI
// document is built from. Dates are ISO 8601 strings here.
import { z } from 'zod';
import { ZCreateApiTokenInput, ZRotateApiTokenInput, ZApiTokenStatus } from './schemas';

const integerString = (name: string, min: number, max: number) =>
  z
    .string({ error: `${name} must be a single whole number` })
    .regex(/^\d{1,16}$/, { error: `${name} must be a whole number` })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `${name} must be at least ${min}` }).max(max, { error: `${name} must be at most ${max}` }));

export const ZRestListTokensQuery = z.object({
  limit: integerString('limit', 1, 100).optional().describe('Page size, 1 to 100 (50 by default)'),
  cursor: integerString('cursor', 1, Number.MAX_SAFE_INTEGER).optional().describe('`nextCursor` of the previous page'),
});

export const ZRestTokenIdParam = z
  .string()
  .regex(/^(self|[1-9]\d{0,15})$/, { error: 'Token id must be a positive whole number or `self`' })
  .describe('A token id, or `self` for the token making the request');

export const ZRestCreateTokenBody = ZCreateApiTokenInput;
export const ZRestRotateTokenBody = ZRotateApiTokenInput;

export const ZRestTokenMetadata = z
  .object({
    id: z.number().int(),
    name: z.string(),
    start: z.string().describe('The first characters of the token, e.g. `api_Ab3x`'),
    scopes: z.array(z.string()),
    status: ZApiTokenStatus,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().describe('Accurate to within 60 seconds'),
    createdBy: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  })
  .meta({ id: 'TokenMetadata' });

export const ZRestTokenList = z.object({ tokens: z.array(ZRestTokenMetadata), nextCursor: z.number().int().nullable() }).meta({ id: 'TokenList' });

export const ZRestCreatedToken = z
  .object({
    id: z.number().int(),
    token: z.string().describe('The token itself; shown only in this response'),
    name: z.string(),
    start: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'CreatedToken' });

export const ZRestMe = z
  .object({
    token: ZRestTokenMetadata.pick({ id: true, name: true, start: true, scopes: true, createdAt: true, expiresAt: true, lastUsedAt: true }),
    user: z.object({ id: z.number().int(), name: z.string(), email: z.string() }).nullable(),
    team: z.object({ id: z.number().int(), name: z.string(), slug: z.string() }).nullable(),
  })
  .meta({ id: 'Me' });

export const ZRestError = z
  .object({
    code: z.enum(['INVALID_BODY', 'INVALID_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'TOO_MANY_REQUESTS', 'INTERNAL_ERROR']),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

export const ZRestHealth = z.object({ status: z.enum(['ok', 'unavailable']) });
