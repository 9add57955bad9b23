import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
// The server as `pnpm start` runs it: the bundle that apps/api/scripts/bundle.ts builds.
export const SERVER_ENTRY = path.join(REPO_ROOT, 'apps/api/dist/main.js');
export const SERVER_BUNDLE_SCRIPT = path.join(REPO_ROOT, 'apps/api/scripts/bundle.ts');
export const PROFILE_DIR = path.join(BENCH_DIR, 'profiles');
