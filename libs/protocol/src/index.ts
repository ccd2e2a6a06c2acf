// @kdi/protocol — shared by every KDI process and the SDK (DESIGN §1):
// the cell model and its wire codecs, the predicate language, the error
// catalogue, the lock and Table API contracts, META's row format. This
// file is the package's only public entry; the package imports nothing but
// @kdi/primitives, zod and Node built-ins.

export * from './cells/index.js';
export * from './errors/index.js';
export * from './predicate/index.js';
export { toKdiError } from './errors/to-kdi-error.js';
export * from './lock/index.js';
export * from './schema/index.js';
export { checkJsonUtf8, firstInvalidUtf8, jsonPathAt } from './json/json-utf8.js';
export * from './table-api/index.js';
export * from './meta/index.js';
export * from './master-api/index.js';
