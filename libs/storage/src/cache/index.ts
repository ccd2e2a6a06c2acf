export { BlockCache } from './block-cache.js';
export type { BlockCacheOptions, BlockCacheStats, BlockKey, CachePriority } from './block-cache.js';
