// The OpenAPI document: valid OpenAPI 3.1, every $ref resolvable, and its schemas true to what the
// server really sends and accepts.
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZTokenName, type CreatedApiToken } from '@latchkey/lib';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
let doc: any;
let token: CreatedApiToken;

beforeAll(async () => {
  server = await startServer({ productScopes: ['invoices:read'] });
  const res = await server.api('GET', '/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  const user = await server.createTestUser('Documented');
  token = await server.createTestToken(user, { name: 'documented' });
});
afterAll(async () => {
  await server?.close();
});

/** Every `$ref` anywhere in a JSON value. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, part) => (node === undefined ? undefined : node[part]), root);
}

/** A validator for one schema of the document, with the document's components around it. */
function validatorFor(schema: object) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile({ ...schema, components: doc.components });
  return (value: unknown) => {
    const ok = validate(value);
    return { ok, errors: ajv.errorsText(validate.errors) };
  };
}

function responseSchema(path: string, method: string, status: string) {
  const schema = doc.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
  expect(schema, `${method.toUpperCase()} ${path} ${status}`).toBeDefined();
  return schema as object;
}

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('resolves every $ref inside the document, with the named schemas in components', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(5);
    for (const ref of all) expect(resolvePointer(doc, ref), ref).toBeDefined();
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      expect.arrayContaining(['CreatedToken', 'Error', 'Me', 'TokenList', 'TokenMetadata']),
    );
  });

  it('documents every route with its scope, and the registered host scopes', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as object).map(([method, op]) => [
        `${method.toUpperCase()} ${path}`,
        op.security[0]?.bearerToken ?? 'public',
      ]),
    );
    expect(Object.fromEntries(operations)).toEqual({
      'GET /openapi.json': 'public',
      'POST /credentials/revoke': 'public',
      'GET /me': [],
      'GET /tokens': ['tokens:read'],
      'POST /tokens': ['tokens:write'],
      'GET /tokens/{id}': ['tokens:read'],
      'DELETE /tokens/{id}': ['tokens:write'],
      'POST /tokens/{id}/rotate': ['tokens:write'],
      'GET /tokens/{id}/usage': ['tokens:read'],
      'GET /audit-events': ['audit:read'],
    });
    expect(doc.servers).toEqual([{ url: '/api/v1', description: 'This server' }]);
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.bearerToken.description).toContain('`invoices:read`');
  });

  it('lists the six expiresIn values in the create body', () => {
    const ref = doc.paths['/tokens'].post.requestBody.content['application/json'].schema.$ref;
    const body = resolvePointer(doc, ref) as any;
    expect(body.properties.expiresIn.enum).toEqual([
      'NEVER',
      'SEVEN_DAYS',
      'ONE_MONTH',
      'THREE_MONTHS',
      'SIX_MONTHS',
      'ONE_YEAR',
    ]);
    expect(body.required).toEqual(['name']);
  });

  it('gives every named schema an example that the schema itself accepts', () => {
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, { examples?: unknown[] }>)) {
      expect(schema.examples?.length, name).toBeGreaterThan(0);
      for (const example of schema.examples!) {
        const check = validatorFor(schema)(example);
        expect(check.ok, `${name}: ${check.errors}`).toBe(true);
      }
    }
  });

  it('passes `redocly lint` with the recommended rules: no errors, no warnings', async () => {
    const { lintFromString, createConfig } = await import('@redocly/openapi-core');
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      config: await createConfig({ extends: ['recommended'] }),
    });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it('types path and query parameters as what the server takes: integers with ranges and defaults, or `self`', () => {
    const [id] = doc.paths['/tokens/{id}'].get.parameters;
    expect(id).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(id.schema.anyOf).toEqual([
      { type: 'string', const: 'self' },
      { type: 'integer', exclusiveMinimum: 0 },
    ]);
    const [limit, cursor] = doc.paths['/tokens'].get.parameters;
    expect(limit).toMatchObject({
      name: 'limit',
      in: 'query',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
    });
    expect(cursor).toMatchObject({ name: 'cursor', in: 'query', schema: { type: 'integer', exclusiveMinimum: 0 } });
    expect(JSON.stringify(doc)).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  it('documents the filters of GET /tokens that the server honours: status and unusedForDays', () => {
    const parameters = doc.paths['/tokens'].get.parameters as Array<{ name: string }>;
    expect(parameters.map((p) => p.name)).toEqual(['limit', 'cursor', 'status', 'unusedForDays']);
    expect(parameters[2]).toMatchObject({ in: 'query', schema: { type: 'string', enum: ['active', 'expired'] } });
    expect(parameters[3]).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 3650 } });
  });

  it('gives every operation a 400, since any of them refuses a query parameter it does not take', () => {
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(operation.responses['400'], `${method} ${path}`).toBeDefined();
        expect(operation.responses['400'].description, `${method} ${path}`).toContain('unknown query parameter');
      }
    }
  });

  it('shows dates as format date-time with an example, never a long regex, and no ±2^53 bounds', () => {
    const dates: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (Array.isArray(node)) node.forEach((child, i) => visit(child, `${at}/${i}`));
      else if (node && typeof node === 'object') {
        const schema = node as Record<string, unknown>;
        if (schema.format === 'date-time') {
          dates.push(at);
          expect(schema, at).not.toHaveProperty('pattern');
          expect(schema.examples, at).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)]);
        }
        for (const bound of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
          if (typeof schema[bound] === 'number')
            expect(Math.abs(schema[bound]), `${at} ${bound}`).toBeLessThan(2 ** 31);
        }
        for (const [key, child] of Object.entries(schema)) visit(child, `${at}/${key}`);
      }
    };
    visit(doc, '#');
    expect(dates).toContain('#/components/schemas/TokenMetadata/properties/createdAt');
    expect(dates.length).toBeGreaterThan(10);
  });

  it('states the name rules in the schema, so a name the document allows is one the server takes', () => {
    const name = doc.components.schemas.CreateTokenRequest.properties.name;
    const pattern = new RegExp(name.pattern, 'u');
    const samples = [
      'CI deploys',
      '  padded  ',
      '\tdeploy\n',
      'abc',
      '   ',
      'a\u0000bc',
      'ab\u200bcd',
      'two\u2028lines',
      'tab\there',
      'émoji 🚀 ok',
    ];
    for (const sample of samples) {
      const documented = pattern.test(sample) && sample.length >= name.minLength;
      const taken = ZTokenName.safeParse(sample).success;
      expect(documented, JSON.stringify(sample)).toBe(taken);
    }
  });

  it('lists each status of a route, with the error body and rate-limit, Retry-After, WWW-Authenticate headers', () => {
    const create = doc.paths['/tokens'].post.responses;
    expect(Object.keys(create).sort()).toEqual(['201', '400', '401', '403', '413', '415', '429', '500']);
    for (const status of ['400', '401', '403', '413', '415', '429', '500']) {
      expect(create[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      expect(Object.keys(create[status].headers)).toEqual(
        expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
      );
    }
    expect(create['401'].headers['WWW-Authenticate']).toBeDefined();
    expect(create['429'].headers['Retry-After']).toBeDefined();
    expect(Object.keys(doc.paths['/tokens/{id}'].delete.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
    ]);
    expect(doc.components.schemas.Error.properties.code.enum).toEqual(
      expect.arrayContaining(['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'METHOD_NOT_ALLOWED']),
    );
  });
});

describe('the documented schemas match the real answers', () => {
  it('GET /me', async () => {
    const res = await server.api('GET', '/api/v1/me', { token: token.token });
    const check = validatorFor(responseSchema('/me', 'get', '200'))(res.body);
    expect(check.errors).toBe('No errors');
    expect(check.ok).toBe(true);
  });

  it('POST /tokens (request and response) and POST /tokens/{id}/rotate', async () => {
    const requestBody = { name: 'from the docs', expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] };
    const requestCheck = validatorFor(doc.paths['/tokens'].post.requestBody.content['application/json'].schema);
    expect(requestCheck(requestBody).ok).toBe(true);
    expect(requestCheck({ name: 'bad expiry', expiresIn: 'FOREVER' }).ok).toBe(false);

    const created = await server.api('POST', '/api/v1/tokens', { token: token.token, body: requestBody });
    expect(created.status).toBe(201);
    const check = validatorFor(responseSchema('/tokens', 'post', '201'))(created.body);
    expect(check.errors).toBe('No errors');

    const rotated = await server.api('POST', `/api/v1/tokens/${created.body.id}/rotate`, {
      token: token.token,
      body: { gracePeriodSeconds: 10 },
    });
    expect(rotated.status).toBe(201);
    expect(validatorFor(responseSchema('/tokens/{id}/rotate', 'post', '201'))(rotated.body).errors).toBe('No errors');
  });

  it('GET /tokens and GET /tokens/{id}', async () => {
    const list = await server.api('GET', '/api/v1/tokens?limit=1', { token: token.token });
    expect(list.status).toBe(200);
    expect(validatorFor(responseSchema('/tokens', 'get', '200'))(list.body).errors).toBe('No errors');
    const one = await server.api('GET', '/api/v1/tokens/self', { token: token.token });
    expect(validatorFor(responseSchema('/tokens/{id}', 'get', '200'))(one.body).errors).toBe('No errors');
    // A schema that checks anything at all: a listed token without its status fails it.
    const { status: _status, ...withoutStatus } = one.body;
    expect(validatorFor(responseSchema('/tokens/{id}', 'get', '200'))(withoutStatus).ok).toBe(false);
  });

  it('error bodies: 400 with issues, 401, 403, 404', async () => {
    const reader = await server.createTestToken(await server.createTestUser('Reader'), { scopes: ['tokens:read'] });
    const errors = [
      [
        '/tokens',
        'post',
        '400',
        await server.api('POST', '/api/v1/tokens', { token: token.token, body: { name: 'x' } }),
      ],
      ['/me', 'get', '401', await server.api('GET', '/api/v1/me')],
      ['/me', 'get', '400', await server.api('GET', '/api/v1/me?verbose=1', { token: token.token })],
      [
        '/tokens',
        'post',
        '403',
        await server.api('POST', '/api/v1/tokens', { token: reader.token, body: { name: 'not allowed' } }),
      ],
      ['/tokens/{id}', 'get', '404', await server.api('GET', '/api/v1/tokens/424242', { token: token.token })],
    ] as const;
    for (const [path, method, status, res] of errors) {
      expect(String(res.status)).toBe(status);
      expect(validatorFor(responseSchema(path, method, status))(res.body).errors, `${method} ${path} ${status}`).toBe(
        'No errors',
      );
    }
  });
});

describe('logs', () => {
  it('hold no plain token, password or session id', () => {
    expect(server.leakedSecrets()).toEqual([]);
  });
});
