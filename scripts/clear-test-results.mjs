// Removes the previous run's reports, so the total counts this run only.
import fs from 'node:fs';
import path from 'node:path';

fs.rmSync(path.resolve(import.meta.dirname, '../.test-results'), { recursive: true, force: true });
