export * from './schema';
export * from './create-database';
export * from './migrations';
