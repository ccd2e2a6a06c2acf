// The table SDK (DESIGN §12): connect(), table handles, the buffered
// writer and read-modify-write. Exported from the package entry.

export { connect, KdiClient, type ConnectOptions } from './kdi-client.js';
export { Table, type ApplyResult, type GetOptions, type ScanOptions, type TablePage, type TablePageOptions } from './table.js';
export { TableWriter, type WriterOptions } from './table-writer.js';
export type { ReadModifyWriteOptions, RowMutator, RowRead } from './read-modify-write.js';
export type { CallOptions as TableCallOptions } from './call-scope.js';
export type { CellInput, Bytes } from './cell-input.js';
export type { PredicateInput } from './predicate-input.js';
export type { ApplyOptions, ScanPage, StatResult } from './table-wire.js';
export { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export { LocationCache, type TabletRange } from './location-cache.js';
export { TabletServerClient, type ScanPageOptions, type TabletServerClientOptions } from './server-client.js';
