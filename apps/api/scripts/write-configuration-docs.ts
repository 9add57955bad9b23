// Rewrites the table of environment variables in docs/configuration.md from apps/api/src/config.ts:
// `pnpm --filter @latchkey/api docs:config`. A test fails while they differ.
import fs from 'node:fs';
import path from 'node:path';
import { withCurrentTable } from '../src/configuration-docs';
import { PROJECT_ROOT } from '../src/project-root';

const page = path.join(PROJECT_ROOT, 'docs/configuration.md');
fs.writeFileSync(page, withCurrentTable(fs.readFileSync(page, 'utf8')));
console.log(`wrote ${page}`);
