export * from './schemas';
export * from './rest';
export * from './usage-and-audit';
export * from './rest-usage-and-audit';
