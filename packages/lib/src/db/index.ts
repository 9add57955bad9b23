export * from './schema';
export * from './create-database';
export * from './migrations';
export * from './prepared-query';
export * from './row-locks';
export { afterCommit, engineOf, type DatabaseEngine } from './database-engine';
export * from './errors';
export * from './describe-database-location';
