// The Redis backend of the lock store (see redis-store.ts and redis-keys.ts).
export { RedisLockStore, type RedisLockStoreLogger, type RedisLockStoreOptions } from './redis-store.js';
export { DEFAULT_KEY_PREFIX } from './redis-keys.js';
export { checkPersistence, type PersistenceFindings } from './persistence-check.js';
