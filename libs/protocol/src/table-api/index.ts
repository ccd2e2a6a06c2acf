// The tablet server's wire contract (DESIGN §4): the Table API, the
// server-side scanners, the admin API and the route pieces they share.

export * from './table-api.js';
export * from './predicate-schema.js';
export * from './route-schemas.js';
export * from './cell-headers.js';
export * from './api-schemas.js';
export * from './wire-predicate.js';
export * from './migration-api.js';
