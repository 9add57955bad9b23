import { z } from 'zod';
import { defineRoute } from '../define-route';

export const openApiDocument = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  tag: 'Meta',
  summary: 'This document: OpenAPI 3.1, generated from the schemas the routes validate with',
  access: { public: true },
  responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
  handle: ({ deps }) => ({ status: 200, body: deps.openApi }),
});
