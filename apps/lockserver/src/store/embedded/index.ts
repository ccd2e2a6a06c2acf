// The embedded lock store (standalone mode): see embedded-lock-store.ts.
export { EmbeddedLockStore, type EmbeddedLockStoreOptions } from './embedded-lock-store.js';
export { NODE_STATE_FILE_SYSTEM, type StateFileSystem } from './state-file-system.js';
export { STATE_FILE_NAME } from './state-file.js';
