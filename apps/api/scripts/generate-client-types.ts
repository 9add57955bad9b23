// Writes the types of @latchkey/client from this server's route declarations (no server runs):
// `pnpm --filter @latchkey/client generate`. A test in test/client-types.test.ts fails while they differ.
import { writeFileSync } from 'node:fs';
import { GENERATED_TYPES_PATH, renderClientTypes } from '@latchkey/client/render-types';
import { buildOpenApiDocument } from '../src/rest/openapi';
import { REST_ROUTES } from '../src/rest/routes/index';

writeFileSync(GENERATED_TYPES_PATH, await renderClientTypes(buildOpenApiDocument(REST_ROUTES)));
console.log(`wrote ${GENERATED_TYPES_PATH}`);
