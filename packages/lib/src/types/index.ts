export * from './schemas.js';
export * from './rest.js';
export * from './usage-and-audit.js';
export * from './rest-usage-and-audit.js';
