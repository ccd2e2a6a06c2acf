// Memory given to each engine, the same for both so neither wins by
// caching more: the block cache (LevelDB: `cacheSize`) and the memory
// written out to disk when full (LevelDB: `writeBufferSize`, its memtable).
export const CACHE_BYTES = 256 << 20;
export const MEMORY_BUDGET_BYTES = 64 << 20;
