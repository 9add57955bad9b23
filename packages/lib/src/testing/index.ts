export * from './test-databases.js';
export * from './describe-each-database.js';
export * from './redis-server.js';
export * from './describe-when-available.js';
export * from './find-secrets-in-audit-events.js';
export * from './watch-database-calls.js';
