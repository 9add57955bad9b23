// @latchkey/lib: every rule of Latchkey. Adapters (tRPC, REST, CLI, other services) call these.
export * from './universal/index';
export * from './types/index';
export * from './errors/app-error';
export * from './db/index';
export * from './server-only/index';
