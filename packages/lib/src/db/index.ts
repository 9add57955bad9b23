export * from './schema';
export * from './create-database';
export * from './migrations';
export * from './prepared-query';
export * from './row-locks';
export { afterCommit, attachedToDatabase, engineOf, type DatabaseEngine } from './database-engine';
export * from './errors';
