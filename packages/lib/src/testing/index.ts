export * from './test-databases';
export * from './describe-each-database';
