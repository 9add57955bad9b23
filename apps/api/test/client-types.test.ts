// The types of @latchkey/client are generated from this server's OpenAPI document and committed; this
// fails as soon as a route or schema changes without them being generated again.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GENERATED_TYPES_PATH, renderClientTypes } from '@latchkey/client/render-types';
import { buildOpenApiDocument } from '../src/rest/openapi';
import { REST_ROUTES } from '../src/rest/routes/index';

it('the committed client types are those of the current OpenAPI document', async () => {
  const current = await renderClientTypes(buildOpenApiDocument(REST_ROUTES));
  const committed = readFileSync(GENERATED_TYPES_PATH, 'utf8');
  const hint = 'packages/client types are out of date: run `pnpm --filter @latchkey/client generate`';
  expect(committed, hint).toBe(current);
});
