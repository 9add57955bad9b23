// The OpenAPI 3.1 document of /api/v1, derived from the route declarations by zod-openapi: each
// route's parameters, body and answers are the schemas it validates and encodes with, and every
// status it can answer is listed with its body and headers.
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { BUILTIN_SCOPE_SET, ZRestError, ZScope, type ScopeSet } from '@latchkey/lib';
import type { RestRoute } from './define-route';
import { DEFAULT_BODY_LIMIT } from './mount-routes';

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': ref('X-RateLimit-Limit'),
  'X-RateLimit-Remaining': ref('X-RateLimit-Remaining'),
  'X-RateLimit-Reset': ref('X-RateLimit-Reset'),
};

const HEADERS = {
  'X-RateLimit-Limit': {
    description: 'Requests allowed in the current window by the tightest limit that counted this request',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Reset': { description: 'When the current window ends, in Unix seconds', schema: { type: 'integer' } },
  'Retry-After': {
    description: 'Seconds to wait before trying again (at least 1)',
    schema: { type: 'integer', minimum: 1 },
  },
  'WWW-Authenticate': {
    description: '`Bearer realm="api"`, with `error="invalid_token"` when a token was sent',
    schema: { type: 'string' },
  },
} as const;

function errorResponse(description: string, headers: Record<string, unknown> = {}): ZodOpenApiResponseObject {
  return {
    description,
    headers: { ...RATE_LIMIT_HEADERS, ...headers },
    content: { 'application/json': { schema: ZRestError } },
  };
}

/** The error statuses a route can answer: from what it takes and who may call it, plus its own. */
function errorResponses(route: RestRoute): Record<string, ZodOpenApiResponseObject> {
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  const secured = !('public' in route.access);
  const scoped = secured && 'scope' in route.access && route.access.scope !== null;
  // Every route refuses a query parameter it does not take.
  responses['400'] = errorResponse(
    route.params || route.query || route.body
      ? 'Invalid request or body (`INVALID_REQUEST`, `INVALID_BODY`), or an unknown query parameter, ' +
          'with `issues` naming each field'
      : 'An unknown query parameter (`INVALID_REQUEST`), with `issues` naming each',
  );
  if (secured) {
    responses['401'] = errorResponse('No token, or an invalid or expired one (`UNAUTHORIZED`)', {
      'WWW-Authenticate': ref('WWW-Authenticate'),
    });
  }
  if (scoped || route.errors?.includes(403)) {
    responses['403'] = errorResponse(
      scoped
        ? `The token lacks the scope \`${(route.access as { scope: string }).scope}\`, ` +
            'or the request goes beyond what the token may do (`FORBIDDEN`)'
        : 'Not allowed (`FORBIDDEN`)',
    );
  }
  if (route.errors?.includes(404)) responses['404'] = errorResponse('No such token for this owner (`NOT_FOUND`)');
  if (route.body) {
    responses['413'] = errorResponse(
      `Body larger than ${(route.bodyLimit ?? DEFAULT_BODY_LIMIT) / 1024} KB (\`PAYLOAD_TOO_LARGE\`)`,
    );
    responses['415'] = errorResponse(
      'Body not sent as UTF-8 JSON with `Content-Type: application/json`, or compressed (`UNSUPPORTED_MEDIA_TYPE`)',
    );
  }
  responses['429'] = errorResponse('A rate limit was passed (`TOO_MANY_REQUESTS`)', {
    'Retry-After': ref('Retry-After'),
  });
  responses['500'] = errorResponse('Something failed on the server (`INTERNAL_ERROR`); no detail is given');
  return responses;
}

function operation(route: RestRoute): ZodOpenApiOperationObject {
  const success = Object.fromEntries(
    Object.entries(route.responses).map(([status, { description, schema }]) => [
      status,
      { description, headers: RATE_LIMIT_HEADERS, ...(schema ? { content: { 'application/json': { schema } } } : {}) },
    ]),
  );
  const scope = 'scope' in route.access ? route.access.scope : null;
  return {
    operationId: route.operationId,
    summary: route.summary,
    description:
      route.description ??
      (scope
        ? `Needs a token with the scope \`${scope}\`.`
        : 'public' in route.access
          ? 'Needs no token.'
          : 'Needs any valid token.'),
    tags: [route.tag],
    security: 'public' in route.access ? [] : [{ bearerToken: scope ? [scope] : [] }],
    ...(route.params || route.query
      ? {
          requestParams: {
            ...(route.params ? { path: route.params } : {}),
            ...(route.query ? { query: route.query } : {}),
          },
        }
      : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.bodyRequired ?? true,
            content: { 'application/json': { schema: route.body } },
          },
        }
      : {}),
    responses: { ...success, ...errorResponses(route) },
  };
}

const TAGS = [
  { name: 'Account', description: 'Who the calling token is' },
  { name: 'Tokens', description: 'The tokens of the calling token’s owner (a user or a team)' },
  { name: 'Meta', description: 'This document' },
];

/**
 * The document of `routes`. With `scopes` (a running server's), a scope in a request is documented
 * as one of them (an enum); without (the generated client types, which serve every deployment), as
 * any scope name. Answers never get the enum: a token keeps a scope the operator has since dropped.
 */
export function buildOpenApiDocument(
  routes: readonly RestRoute[],
  options: { serverUrl?: string; scopes?: ScopeSet } = {},
) {
  const scopes = options.scopes ?? BUILTIN_SCOPE_SET;
  const scopeList = scopes.names.map((s) => `\`${s}\``).join(', ');
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    (paths[path] ??= {})[route.method] = operation(route);
  }
  const usedTags = new Set(routes.map((route) => route.tag));
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey API',
        version: '1.0.0',
        license: { name: 'MIT', identifier: 'MIT' },
        description:
          'Manage API tokens with an API token. Send it as `Authorization: Bearer <token>` (or the bare token). ' +
          'Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`. ' +
          'Errors are `{"code", "message"}`, with `issues` for validation errors; ' +
          'a path asked with a method it does not serve is a 405 with an `Allow` header.',
      },
      servers: [{ url: `${options.serverUrl ?? ''}/api/v1`, description: 'This server' }],
      tags: TAGS.filter((tag) => usedTags.has(tag.name as RestRoute['tag'])),
      paths,
      components: {
        headers: HEADERS,
        securitySchemes: {
          bearerToken: {
            type: 'http',
            scheme: 'bearer',
            description: `A Latchkey token (\`api_\` + 36 characters). Scopes: ${scopeList}.`,
          },
        },
      },
    },
    {
      // zod bounds every integer by ±(2^53 − 1), which says nothing to a reader; the document leaves it out.
      override: ({ jsonSchema, zodSchema, io }) => {
        if (options.scopes && zodSchema === ZScope && io === 'input') jsonSchema.enum = [...options.scopes.names];
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      },
    },
  );
}
