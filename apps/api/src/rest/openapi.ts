// The OpenAPI 3.1 document of `/api/v1`, generated from the same zod schemas the routes validate with.
import { z } from 'zod';
import {
  BUILTIN_SCOPES,
  ZRestCreatedToken,
  ZRestCreateTokenBody,
  ZRestError,
  ZRestListTokensQuery,
  ZRestMe,
  ZRestRotateTokenBody,
  ZRestTokenIdParam,
  ZRestTokenList,
  ZRestTokenMetadata,
} from '@latchkey/lib';

type JsonSchema = Record<string, unknown>;

const components: Record<string, JsonSchema> = {};

/** Points zod's local `#/$defs/X` references at the document's `#/components/schemas/X`. */
function toComponentRefs(json: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

/** A schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect); named ones go to components. */
function schema(type: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const json = z.toJSONSchema(type, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  // zod puts schemas named with `.meta({ id })` in `$defs`, the root one included, and refers to
  // them as `#/$defs/…`; in an OpenAPI document that would point at the document's root, so they
  // move to components.
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  for (const [name, def] of Object.entries(defs)) components[name] = toComponentRefs(def);
  const id = (json.id as string | undefined) ?? undefined;
  if (id) {
    delete json.id;
    components[id] = toComponentRefs(json);
    return { $ref: `#/components/schemas/${id}` };
  }
  return toComponentRefs(json);
}

const json = (type: z.ZodType, io: 'input' | 'output' = 'output') => ({ 'application/json': { schema: schema(type, io) } });

function errors(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid request or body (`INVALID_REQUEST`, `INVALID_BODY`), with `issues` for validation errors',
    401: 'No token, or an invalid or expired one (`UNAUTHORIZED`)',
    403: 'The token lacks a needed scope, or would exceed its own lifetime or scopes (`FORBIDDEN`)',
    404: 'No such token for this owner (`NOT_FOUND`)',
    413: 'Body larger than 16 KB',
    429: 'A rate limit was passed; see `Retry-After` (`TOO_MANY_REQUESTS`)',
  };
  return Object.fromEntries(statuses.map((s) => [String(s), { description: descriptions[s], content: json(ZRestError) }]));
}

const idParameter = { name: 'id', in: 'path', required: true, schema: schema(ZRestTokenIdParam, 'input'), description: 'A token id, or `self`' };

function queryParameters(type: z.ZodObject) {
  return Object.entries(type.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: schema(field as z.ZodType, 'input'),
    description: (field as z.ZodType).description,
  }));
}

export function buildOpenApiDocument(options: { serverUrl?: string; scopes?: readonly string[] } = {}) {
  const scopes = options.scopes ?? BUILTIN_SCOPES;
  const secured = (scope?: string) => ({ security: [{ bearerToken: scope ? [scope] : [] }] });
  const paths = {
    '/me': {
      get: {
        operationId: 'getMe',
        summary: 'The token making the request, its user and team',
        ...secured(),
        responses: { '200': { description: 'The token, user and team', content: json(ZRestMe) }, ...errors(401, 429) },
      },
    },
    '/tokens': {
      get: {
        operationId: 'listTokens',
        summary: 'Tokens of the same owner, newest first',
        ...secured('tokens:read'),
        parameters: queryParameters(ZRestListTokensQuery),
        responses: { '200': { description: 'A page of tokens', content: json(ZRestTokenList) }, ...errors(400, 401, 403, 429) },
      },
      post: {
        operationId: 'createToken',
        summary: 'Create a token; it can neither outlive nor out-scope the token that makes it',
        ...secured('tokens:write'),
        requestBody: { required: true, content: json(ZRestCreateTokenBody, 'input') },
        responses: { '201': { description: 'The new token, shown only here', content: json(ZRestCreatedToken) }, ...errors(400, 401, 403, 413, 429) },
      },
    },
    '/tokens/{id}': {
      get: {
        operationId: 'getToken',
        summary: "One token's metadata",
        ...secured('tokens:read'),
        parameters: [idParameter],
        responses: { '200': { description: 'The token', content: json(ZRestTokenMetadata) }, ...errors(400, 401, 403, 404, 429) },
      },
      delete: {
        operationId: 'deleteToken',
        summary: 'Delete a token; it stops working at once',
        ...secured('tokens:write'),
        parameters: [idParameter],
        responses: { '204': { description: 'Deleted' }, ...errors(400, 401, 403, 404, 429) },
      },
    },
    '/tokens/{id}/rotate': {
      post: {
        operationId: 'rotateToken',
        summary: 'Replace a token with a new one of the same name, scopes and lifetime length',
        ...secured('tokens:write'),
        parameters: [idParameter],
        requestBody: { required: false, content: json(ZRestRotateTokenBody, 'input') },
        responses: { '201': { description: 'The new token, shown only here', content: json(ZRestCreatedToken) }, ...errors(400, 401, 403, 404, 413, 429) },
      },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey API',
      version: '1.0.0',
      description:
        'Manage API tokens with an API token. Send it as `Authorization: Bearer <token>` (or the bare token). ' +
        'Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.',
    },
    servers: [{ url: `${options.serverUrl ?? ''}/api/v1` }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A Latchkey token (\`api_\` + 36 characters). Scopes: ${scopes.map((s) => `\`${s}\``).join(', ')}.`,
        },
      },
    },
  };
}
