export * from './test-databases';
export * from './describe-each-database';
export * from './redis-server';
export * from './describe-when-available';
export * from './find-secrets-in-audit-events';
export * from './watch-database-calls';
