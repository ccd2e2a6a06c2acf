import { describe, expect, it } from 'vitest';
import { DecodedBlock } from '../fragment/data-block.js';
import { BlockCache, type BlockKey } from './block-cache.js';

const block = (byteSize: number): DecodedBlock => new DecodedBlock(Buffer.alloc(0), 0, new Int32Array(0), new Float64Array(0), byteSize);
const key = (fileId: number | string, blockIndex: number): BlockKey => ({ fileId, blockIndex });

/** Which of (fileId, 0..n-1) are cached. */
function cached(c: BlockCache, fileId: number | string, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => c.has(key(fileId, i)));
}

describe('BlockCache', () => {
  it('keeps bytes within the budget, evicting least recently used first', () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    for (let i = 0; i < 5; i++) c.set(key('f', i), block(200));
    expect(c.stats.bytes).toBe(1000);
    c.get(key('f', 0)); // 0 becomes most recent; 1 is now the oldest
    c.set(key('f', 5), block(300));
    expect(cached(c, 'f', 6)).toEqual([0, 3, 4, 5]);
    expect(c.stats.bytes).toBe(900);
    expect(c.stats.evictions).toBe(2);
  });

  it('never keeps a block larger than the whole budget, and does not flush others for it', () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    c.set(key('f', 0), block(400));
    c.set(key('f', 1), block(1001));
    expect(cached(c, 'f', 2)).toEqual([0]);
  });

  it("copyFile caches a file's blocks for its copy too, at the same priority, within the budget", () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    c.set(key('old', 0), block(100));
    c.set(key('old', 2), block(100), 'in-memory');
    c.copyFile('old', 'new');
    expect(cached(c, 'new', 3)).toEqual([0, 2]);
    expect(c.get(key('new', 2))).toBe(c.get(key('old', 2)));
    expect(c.stats).toMatchObject({ bytes: 400, entries: 4 });
    c.copyFile('missing', 'other');
    expect(c.stats.entries).toBe(4);
  });

  it('replacing an entry adjusts the byte count', () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    c.set(key(1, 0), block(100));
    c.set(key(1, 0), block(300));
    expect(c.stats).toMatchObject({ bytes: 300, entries: 1 });
  });

  it('evicts in-memory entries only after every normal entry is gone', () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    c.set(key('hot', 0), block(300), 'in-memory');
    c.set(key('hot', 1), block(300), 'in-memory');
    for (let i = 0; i < 10; i++) c.set(key('cold', i), block(100));
    expect(cached(c, 'hot', 2)).toEqual([0, 1]);
    expect(cached(c, 'cold', 10)).toEqual([6, 7, 8, 9]);
    expect(c.stats.inMemoryBytes).toBe(600);
    // A normal block that fits only by evicting in-memory ones is itself the one to go.
    c.set(key('cold', 10), block(700));
    expect(cached(c, 'cold', 11)).toEqual([]);
    expect(cached(c, 'hot', 2)).toEqual([0, 1]);
    // Among in-memory entries, the least recently used goes first.
    c.get(key('hot', 0));
    c.set(key('hot', 2), block(500), 'in-memory');
    expect(cached(c, 'hot', 3)).toEqual([0, 2]);
    expect(c.stats.bytes).toBe(800);
  });

  it('promotes a normal entry used at in-memory priority, never demotes', async () => {
    const c = new BlockCache({ capacityBytes: 500 });
    c.set(key('a', 0), block(200));
    await c.getOrLoad(key('a', 0), 'in-memory', () => Promise.reject(new Error('must not load')));
    c.set(key('a', 0), block(200), 'normal');
    c.set(key('b', 0), block(200));
    c.set(key('b', 1), block(200));
    expect(c.has(key('a', 0))).toBe(true);
    expect(c.stats.inMemoryBytes).toBe(200);
  });

  it('runs one load per block however many callers ask concurrently', async () => {
    const c = new BlockCache({ capacityBytes: 10_000 });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return block(100);
    };
    const waiters = Array.from({ length: 5 }, () => c.getOrLoad(key('f', 3), 'normal', load));
    const other = c.getOrLoad(key('f', 4), 'normal', load);
    await Promise.resolve();
    release();
    const got = await Promise.all(waiters);
    await other;
    expect(loads).toBe(2);
    expect(new Set(got).size).toBe(1);
    expect(await c.getOrLoad(key('f', 3), 'normal', load)).toBe(got[0]);
    expect(loads).toBe(2);
    expect(c.stats).toMatchObject({ hits: 1, misses: 6, sharedLoads: 4, entries: 2 });
  });

  it('a failed load reaches every waiter, is not cached, and the next call retries', async () => {
    const c = new BlockCache({ capacityBytes: 10_000 });
    let calls = 0;
    const failing = async (): Promise<DecodedBlock> => {
      calls++;
      throw new Error('disk on fire');
    };
    const results = await Promise.allSettled([c.getOrLoad(key('f', 0), 'normal', failing), c.getOrLoad(key('f', 0), 'normal', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(c.has(key('f', 0))).toBe(false);
    const b = block(10);
    expect(await c.getOrLoad(key('f', 0), 'normal', async () => b)).toBe(b);
    expect(c.has(key('f', 0))).toBe(true);
  });

  it('evictFile drops a file’s blocks and keeps loads in flight from coming back', async () => {
    const c = new BlockCache({ capacityBytes: 10_000 });
    for (let i = 0; i < 3; i++) c.set(key(1, i), block(100));
    c.set(key(2, 0), block(100), 'in-memory');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const late = c.getOrLoad(key(1, 9), 'normal', async () => {
      await gate;
      return block(100);
    });
    c.evictFile(1);
    release();
    await late;
    expect(cached(c, 1, 10)).toEqual([]);
    expect(c.stats).toMatchObject({ entries: 1, bytes: 100, inMemoryBytes: 100 });
    c.evictFile(2);
    expect(c.stats).toMatchObject({ entries: 0, bytes: 0, inMemoryBytes: 0 });
  });

  it('reports hits, misses and the hit ratio', () => {
    const c = new BlockCache({ capacityBytes: 1000 });
    expect(c.stats.hitRatio).toBe(0);
    c.set(key('f', 0), block(10));
    c.get(key('f', 0));
    c.get(key('f', 0));
    c.get(key('f', 0));
    c.get(key('f', 1));
    expect(c.stats).toMatchObject({ hits: 3, misses: 1, hitRatio: 0.75, entries: 1, bytes: 10, capacityBytes: 1000 });
  });

  it('matches a simple LRU model under random use', () => {
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const cap = 2000;
    const c = new BlockCache({ capacityBytes: cap });
    const model: { k: string; size: number }[] = []; // oldest first
    const sizes = new Map<string, number>();
    for (let step = 0; step < 5000; step++) {
      const i = Math.floor(rand() * 40);
      const k = `${i}`;
      if (rand() < 0.5) {
        const hit = c.get(key('f', i)) !== undefined;
        const at = model.findIndex((e) => e.k === k);
        expect(hit).toBe(at >= 0);
        if (at >= 0) model.push(...model.splice(at, 1));
      } else {
        const size = sizes.get(k) ?? 50 + Math.floor(rand() * 200);
        sizes.set(k, size);
        c.set(key('f', i), block(size));
        const at = model.findIndex((e) => e.k === k);
        if (at >= 0) model.splice(at, 1);
        model.push({ k, size });
        let total = model.reduce((s, e) => s + e.size, 0);
        while (total > cap) total -= model.shift()!.size;
      }
      expect(c.stats.entries).toBe(model.length);
    }
  });
});
