export * from './test-databases';
export * from './describe-each-database';
export * from './find-secrets-in-audit-events';
