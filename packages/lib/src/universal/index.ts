export * from './crc32';
export * from './token-format';
export * from './parse-authorization-header';
export * from './scopes';
export * from './expires-in';
export * from './permissions';
export * from './audit-event-types';
