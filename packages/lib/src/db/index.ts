export * from './schema';
export * from './create-database';
export * from './migrations';
export * from './describe-database-location';
