// Shapes of the public REST API (`/api/v1`): what its routes validate requests with and encode
// answers through, and what the OpenAPI document is generated from. They are the shared schemas of
// schemas.ts with times as ISO 8601 strings: a REST response is `schema.parse(libraryResult)`.
import { z } from 'zod';
import { AppErrorCode } from '../errors/app-error.js';
import { REST_EXAMPLES } from './rest-examples.js';
import {
  apiTokenMetadataFields,
  ZApiTokenStatusFilter,
  ZCreateApiTokenInput,
  ZId,
  ZLeakReport,
  ZRotateApiTokenInput,
  ZTeam,
  ZUnusedForDays,
  ZUser,
} from './schemas.js';

/** A time: a `Date` in the library, an ISO 8601 string on the wire. */
export const ZRestDateTime = z.codec(
  z.date(),
  z.string().meta({ format: 'date-time', examples: ['2026-12-01T09:30:00.000Z'] }),
  {
    decode: (date) => date.toISOString(),
    encode: (text) => new Date(text),
  },
);

export const ZRestTokenMetadata = z
  .object(apiTokenMetadataFields(ZRestDateTime))
  .meta({ id: 'TokenMetadata', examples: [REST_EXAMPLES.metadata] });

export const ZRestTokenList = z
  .object({
    tokens: z.array(ZRestTokenMetadata),
    nextCursor: ZId.nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'TokenList', examples: [REST_EXAMPLES.list] });

export const ZRestCreatedToken = ZRestTokenMetadata.pick({
  id: true,
  name: true,
  start: true,
  scopes: true,
  createdAt: true,
  expiresAt: true,
})
  .extend({ token: z.string().meta({ description: 'The token itself; shown only in this response' }) })
  .meta({ id: 'CreatedToken', examples: [REST_EXAMPLES.created] });

export const ZRestRotatedToken = ZRestCreatedToken.extend({
  previousTokenStopsAt: ZRestDateTime.meta({
    description: 'When the old token stops working: the grace period’s end, or earlier if it was already due to stop',
  }),
}).meta({ id: 'RotatedToken', examples: [REST_EXAMPLES.rotated] });

export const ZRestMe = z
  .object({
    token: ZRestTokenMetadata.pick({
      id: true,
      name: true,
      start: true,
      scopes: true,
      createdAt: true,
      expiresAt: true,
      lastUsedAt: true,
    }),
    user: ZUser.nullable().meta({ description: "The personal token's user, or the user who made a team token" }),
    team: ZTeam.nullable(),
  })
  .meta({ id: 'Me', examples: [REST_EXAMPLES.me] });

export const ZRestError = z
  .object({
    code: z.enum(Object.values(AppErrorCode) as [AppErrorCode, ...AppErrorCode[]]),
    message: z.string().meta({ description: 'For the person reading it' }),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Validation errors: one per field, `path` names the field' }),
  })
  .meta({ id: 'Error', examples: [REST_EXAMPLES.error] });

// ---- requests. Path and query values arrive as text; digit strings are read as numbers before these
// schemas see them (rest/parse-request.ts), so the document can type them as what they are.

const TOKEN_ID = { error: 'Token id must be a positive whole number or `self`' };

export const ZRestTokenIdParams = z.object({
  id: z
    .union(
      [
        z.literal('self', TOKEN_ID),
        z.number(TOKEN_ID).int(TOKEN_ID).positive(TOKEN_ID).max(Number.MAX_SAFE_INTEGER, TOKEN_ID),
      ],
      TOKEN_ID,
    )
    .meta({ description: 'A token id, or `self` for the token making the request' }),
});

export const ZRestListTokensQuery = z.object({
  limit: z
    .number({ error: 'limit must be a whole number from 1 to 100' })
    .int({ error: 'limit must be a whole number from 1 to 100' })
    .min(1, { error: 'limit must be at least 1' })
    .max(100, { error: 'limit must be at most 100' })
    .default(50)
    .meta({ description: 'Page size' }),
  cursor: z
    .number({ error: 'cursor must be the nextCursor of the previous page' })
    .int({ error: 'cursor must be the nextCursor of the previous page' })
    .positive({ error: 'cursor must be the nextCursor of the previous page' })
    .max(Number.MAX_SAFE_INTEGER, { error: 'cursor must be the nextCursor of the previous page' })
    .optional()
    .meta({ description: '`nextCursor` of the previous page' }),
  status: ZApiTokenStatusFilter.optional().meta({
    description: 'Only tokens that still work (active or retiring), or only expired ones',
  }),
  unusedForDays: ZUnusedForDays.optional().meta({
    description:
      'Only tokens never used, or last used, more than this many days ago (1 to 3650); ' +
      'a token younger than that never counts',
  }),
});

export const ZRestCreateTokenBody = ZCreateApiTokenInput.meta({
  id: 'CreateTokenRequest',
  // zod leaves `examples` out of the input schema of an object with a transform inside (scopes are
  // de-duplicated); written back here.
  override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    jsonSchema.examples = [REST_EXAMPLES.createRequest];
  },
});
export const ZRestRotateTokenBody = ZRotateApiTokenInput.meta({
  id: 'RotateTokenRequest',
  examples: [REST_EXAMPLES.rotateRequest],
});

export const ZRestLeakReport = ZLeakReport.meta({ id: 'LeakReport', examples: [REST_EXAMPLES.leakReport] });
export const ZRestLeakReportAccepted = z.object({ status: z.literal('accepted') }).meta({
  id: 'LeakReportAccepted',
  description: 'The same answer whether or not anything matched',
  examples: [REST_EXAMPLES.leakReportAccepted],
});
