export * from './schema.js';
export * from './create-database.js';
export * from './migrations.js';
export * from './prepared-query.js';
export * from './row-locks.js';
export { afterCommit, engineOf, type DatabaseEngine } from './database-engine.js';
export * from './errors.js';
export * from './database-location.js';
