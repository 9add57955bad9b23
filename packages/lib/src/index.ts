// @latchkey/lib: every rule of Latchkey. Adapters (tRPC, REST, CLI, other services) call these.
export * from './universal/index.js';
export * from './types/index.js';
export * from './errors/app-error.js';
export * from './db/index.js';
export * from './server-only/index.js';
