import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const SERVER_ENTRY = path.join(REPO_ROOT, 'apps/api/src/main.ts');
export const PROFILE_DIR = path.join(BENCH_DIR, 'profiles');
