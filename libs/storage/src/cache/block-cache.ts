// The shared cache of decoded data blocks (DESIGN §5: "a shared LRU block
// cache with a byte budget; in-memory locality groups are preloaded and
// kept at higher priority").
//
// Promises:
//  - bytes (the sum of the entries' byteSize) never exceed capacityBytes
//    after a call returns; a block larger than the whole budget is handed
//    back but not kept;
//  - two LRU lists: 'normal' entries are evicted least recently used first;
//    'in-memory' entries only once no normal entry is left (a normal block
//    that would fit only by evicting in-memory ones is dropped itself), so
//    preloaded in-memory groups stay resident while the budget holds them;
//  - an entry used at 'in-memory' priority stays there (never demoted);
//  - getOrLoad runs at most one load per block at a time: concurrent
//    callers share it; a failed load is not cached and reaches every waiter;
//  - evictFile drops a file's blocks, and loads of that file still in
//    flight do not enter the cache when they finish;
//  - get, set and getOrLoad are O(1) (a map per file plus intrusive doubly
//    linked lists).
import type { DecodedBlock } from '../fragment/data-block.js';

export type CachePriority = 'normal' | 'in-memory';

export interface BlockKey {
  readonly fileId: number | string;
  readonly blockIndex: number;
}

export interface BlockCacheOptions {
  readonly capacityBytes: number;
}

export interface BlockCacheStats {
  readonly capacityBytes: number;
  readonly bytes: number;
  readonly inMemoryBytes: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
  /** Misses that joined a load already in flight instead of starting one. */
  readonly sharedLoads: number;
  readonly evictions: number;
  /** hits / (hits + misses); 0 before any lookup. */
  readonly hitRatio: number;
}

class Entry {
  prev: Entry = this;
  next: Entry = this;
  constructor(
    readonly fileId: number | string,
    readonly blockIndex: number,
    public block: DecodedBlock | undefined,
    public size: number,
    public priority: CachePriority,
  ) {}
}

/** A circular list around a sentinel; head.next is the least recently used entry. */
class LruList {
  readonly head = new Entry('', -1, undefined, 0, 'normal');
  bytes = 0;

  get oldest(): Entry | undefined {
    const e = this.head.next;
    return e === this.head ? undefined : e;
  }

  pushNewest(e: Entry): void {
    const last = this.head.prev;
    e.prev = last;
    e.next = this.head;
    last.next = e;
    this.head.prev = e;
    this.bytes += e.size;
  }

  remove(e: Entry): void {
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.prev = e;
    e.next = e;
    this.bytes -= e.size;
  }
}

interface PendingLoad {
  readonly promise: Promise<DecodedBlock>;
  priority: CachePriority;
}

export class BlockCache {
  readonly capacityBytes: number;
  private readonly files = new Map<number | string, Map<number, Entry>>();
  private readonly pending = new Map<number | string, Map<number, PendingLoad>>();
  private readonly normal = new LruList();
  private readonly inMemory = new LruList();
  private entryCount = 0;
  private hits = 0;
  private misses = 0;
  private sharedLoads = 0;
  private evictions = 0;

  constructor(opts: BlockCacheOptions) {
    if (!(Number.isSafeInteger(opts.capacityBytes) && opts.capacityBytes >= 0)) throw new RangeError(`capacityBytes must be a non-negative integer, got ${opts.capacityBytes}`);
    this.capacityBytes = opts.capacityBytes;
  }

  /** The cached block, marking it most recently used; counts a hit or a miss. */
  get(key: BlockKey): DecodedBlock | undefined {
    const e = this.files.get(key.fileId)?.get(key.blockIndex);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.touch(e, 'normal');
    return e.block;
  }

  /** Caches `block` (replacing any entry for the key) and evicts down to the budget. */
  set(key: BlockKey, block: DecodedBlock, priority: CachePriority = 'normal'): void {
    const old = this.files.get(key.fileId)?.get(key.blockIndex);
    if (old !== undefined) {
      if (old.priority === 'in-memory') priority = 'in-memory';
      this.remove(old);
    }
    if (block.byteSize > this.capacityBytes) return;
    let byIndex = this.files.get(key.fileId);
    if (byIndex === undefined) this.files.set(key.fileId, (byIndex = new Map()));
    const e = new Entry(key.fileId, key.blockIndex, block, block.byteSize, priority);
    byIndex.set(key.blockIndex, e);
    this.entryCount++;
    this.listOf(priority).pushNewest(e);
    this.evictToBudget();
  }

  /**
   * The cached block, or the result of `load()` — started once however many
   * callers ask for the same block while it runs — which is then cached.
   */
  getOrLoad(key: BlockKey, priority: CachePriority, load: () => Promise<DecodedBlock>): Promise<DecodedBlock> {
    const { fileId, blockIndex } = key;
    const e = this.files.get(fileId)?.get(blockIndex);
    if (e !== undefined) {
      this.hits++;
      this.touch(e, priority);
      return Promise.resolve(e.block!);
    }
    this.misses++;
    let loads = this.pending.get(fileId);
    const inFlight = loads?.get(blockIndex);
    if (inFlight !== undefined) {
      this.sharedLoads++;
      if (priority === 'in-memory') inFlight.priority = priority;
      return inFlight.promise;
    }
    if (loads === undefined) this.pending.set(fileId, (loads = new Map()));
    const byIndex = loads;
    const finished = (): boolean => {
      // False when evictFile dropped this load (and maybe a newer one started).
      if (this.pending.get(fileId) !== byIndex || byIndex.get(blockIndex) !== record) return false;
      byIndex.delete(blockIndex);
      if (byIndex.size === 0) this.pending.delete(fileId);
      return true;
    };
    const promise = Promise.resolve()
      .then(load)
      .then(
        (block) => {
          if (finished()) this.set(key, block, record.priority);
          return block;
        },
        (err: unknown) => {
          finished();
          throw err;
        },
      );
    const record: PendingLoad = { promise, priority };
    byIndex.set(blockIndex, record);
    return promise;
  }

  /** True when the block is cached (no LRU or stats effect). */
  has(key: BlockKey): boolean {
    return this.files.get(key.fileId)?.has(key.blockIndex) ?? false;
  }

  /**
   * Caches every block of file `from` for file `to` too (at its priority):
   * `to` is a byte-identical copy (a disk migration's), so its first reads
   * hit the cache instead of the new disk. The decoded blocks are shared.
   */
  copyFile(from: number | string, to: number | string): void {
    for (const e of [...(this.files.get(from)?.values() ?? [])]) {
      if (e.block !== undefined && !this.has({ fileId: to, blockIndex: e.blockIndex })) this.set({ fileId: to, blockIndex: e.blockIndex }, e.block, e.priority);
    }
  }

  /** Drops every block of a file, including loads of it still in flight. */
  evictFile(fileId: number | string): void {
    this.pending.delete(fileId);
    const byIndex = this.files.get(fileId);
    if (byIndex === undefined) return;
    for (const e of byIndex.values()) {
      this.listOf(e.priority).remove(e);
      this.entryCount--;
    }
    this.files.delete(fileId);
  }

  clear(): void {
    for (const id of [...this.files.keys()]) this.evictFile(id);
    this.pending.clear();
  }

  get bytes(): number {
    return this.normal.bytes + this.inMemory.bytes;
  }

  get stats(): BlockCacheStats {
    const lookups = this.hits + this.misses;
    return {
      capacityBytes: this.capacityBytes,
      bytes: this.bytes,
      inMemoryBytes: this.inMemory.bytes,
      entries: this.entryCount,
      hits: this.hits,
      misses: this.misses,
      sharedLoads: this.sharedLoads,
      evictions: this.evictions,
      hitRatio: lookups === 0 ? 0 : this.hits / lookups,
    };
  }

  private listOf(p: CachePriority): LruList {
    return p === 'normal' ? this.normal : this.inMemory;
  }

  /** Marks `e` most recently used; promotes it when used at in-memory priority. */
  private touch(e: Entry, priority: CachePriority): void {
    this.listOf(e.priority).remove(e);
    if (priority === 'in-memory') e.priority = priority;
    this.listOf(e.priority).pushNewest(e);
  }

  private remove(e: Entry): void {
    this.listOf(e.priority).remove(e);
    const byIndex = this.files.get(e.fileId)!;
    byIndex.delete(e.blockIndex);
    if (byIndex.size === 0) this.files.delete(e.fileId);
    this.entryCount--;
  }

  private evictToBudget(): void {
    while (this.bytes > this.capacityBytes) {
      const victim = this.normal.oldest ?? this.inMemory.oldest;
      if (victim === undefined) return;
      this.remove(victim);
      this.evictions++;
    }
  }
}
