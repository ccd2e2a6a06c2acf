// The engine's conformance suite (abstract-level style): one set of
// behaviours every FileSystem backend must give. Each KDI table vector is
// checked with its data in memory, serialized into several fragments,
// compacted into one, and mixed — a scan must not care where data lives.

import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Cell } from '@kdi/primitives';
import { BlockCache } from '../src/cache/block-cache.js';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions } from '../src/engine/engine.js';
import type { FileSystem } from '../src/fs/file-system.js';
import type { PurgePolicy } from '../src/purge/purge-policy.js';
import type { ScanSpec } from '../src/scan/scan-spec.js';
import { describeLocalityGroupConformance } from './engine-locality-groups.js';
import { b, cell, erase, rng, show, TableModel } from './kit.js';

export interface FsFactory {
  make(): Promise<{ fs: FileSystem; root: string; cleanup(): Promise<void> }>;
  /** Extra engine options for this backend (e.g. worker threads). */
  readonly engineOptions?: Partial<EngineOptions>;
}

type Placement = 'memory' | 'serialized' | 'compacted' | 'mixed';
const PLACEMENTS: Placement[] = ['memory', 'serialized', 'compacted', 'mixed'];

const point = (row: string): ScanSpec => ({ rows: [{ lower: { value: b(row), inclusive: true }, upper: { value: b(row), inclusive: true } }] });

export function describeEngineConformance(name: string, factory: FsFactory): void {
  describe(`engine conformance on ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function open(extra: Partial<EngineOptions> = {}, env?: { fs: FileSystem; root: string }): Promise<{ engine: Engine; env: { fs: FileSystem; root: string } }> {
      let e0 = env;
      if (!e0) {
        const made = await factory.make();
        cleanups.push(made.cleanup);
        e0 = made;
      }
      const engine = await Engine.open({
        fs: e0.fs,
        dir: `${e0.root}/engine`,
        codec: lz4Codec,
        cache: new BlockCache({ capacityBytes: 1 << 20 }),
        blockSize: 256, // many small blocks, so block boundaries are exercised
        autoCompact: false,
        ...factory.engineOptions,
        ...extra,
      });
      cleanups.push(() => engine.close());
      return { engine, env: e0 };
    }

    async function scanAll(engine: Engine, tablet: string, spec: ScanSpec = {}, pageCells = 1000): Promise<Cell[]> {
      const out: Cell[] = [];
      let after: Cell | undefined;
      for (;;) {
        const page = await engine.scan(tablet, spec, { maxCells: pageCells, after });
        out.push(...page.cells);
        if (page.end) return out;
        after = page.cells[page.cells.length - 1] ?? after;
      }
    }

    /** Writes the batches with the placement's serialize/compact steps, returns the engine. */
    async function withPlacement(placement: Placement, batches: Cell[][], purge?: PurgePolicy, clock?: ManualClock) {
      const { engine } = await open(clock ? { clock } : {});
      await engine.createTablet({ id: 't', table: 'webtable', purge });
      for (let i = 0; i < batches.length; i++) {
        await engine.apply('webtable', batches[i]!);
        const last = i === batches.length - 1;
        if (placement === 'serialized' || placement === 'compacted' || (placement === 'mixed' && !last)) await engine.serialize();
      }
      if (placement === 'compacted') await engine.compactTablet('t', { full: true });
      return engine;
    }

    interface Vector {
      name: string;
      batches: Cell[][];
      spec?: ScanSpec;
      purge?: PurgePolicy;
      now?: number;
      want: string[];
    }

    const vectors: Vector[] = [
      {
        name: 'overwrite: the same key written twice keeps the newer value',
        batches: [[cell('r', 'f:a', 5, 'old')], [cell('r', 'f:a', 5, 'new')]],
        want: ['r f:a@5=new'],
      },
      {
        name: 'versions come newest first',
        batches: [[cell('r', 'f:a', 1, 'one')], [cell('r', 'f:a', 3, 'three')], [cell('r', 'f:a', 2, 'two')]],
        want: ['r f:a@3=three', 'r f:a@2=two', 'r f:a@1=one'],
      },
      {
        name: 'erase hides exactly its key',
        batches: [[cell('r', 'f:a', 1), cell('r', 'f:a', 2), cell('r', 'f:b', 2)], [erase('r', 'f:a', 2)]],
        want: ['r f:a@1=v', 'r f:b@2=v'],
      },
      {
        name: 'erase then set again brings the key back',
        batches: [[cell('r', 'f:a', 7, 'first')], [erase('r', 'f:a', 7)], [cell('r', 'f:a', 7, 'again')]],
        want: ['r f:a@7=again'],
      },
      {
        name: 'erasing a key that never existed leaves nothing behind',
        batches: [[erase('r', 'f:a', 7)], [cell('s', 'f:a', 1)]],
        want: ['s f:a@1=v'],
      },
      {
        name: 'history = 1 keeps the newest version per column',
        batches: [
          [cell('r', 'f:a', 1), cell('r', 'f:a', 2), cell('r', 'f:b', 1)],
          [cell('r', 'f:a', 3), erase('r', 'f:b', 1), cell('r', 'f:b', 0)],
        ],
        spec: { history: 1 },
        want: ['r f:a@3=v', 'r f:b@0=v'],
      },
      {
        name: 'history = -1 drops the newest version per column',
        batches: [
          [cell('r', 'f:a', 1), cell('r', 'f:a', 2)],
          [cell('r', 'f:a', 3), cell('r', 'f:b', 1)],
        ],
        spec: { history: -1 },
        want: ['r f:a@2=v', 'r f:a@1=v'],
      },
      {
        name: 'history counts among cells that passed the time filter',
        batches: [[cell('r', 'f:a', 10), cell('r', 'f:a', 20), cell('r', 'f:a', 30)]],
        spec: { times: [{ upper: { value: 25, inclusive: true } }], history: 1 },
        want: ['r f:a@20=v'],
      },
      {
        name: 'column ranges (two-sided and or-union)',
        batches: [[cell('r', 'word:ant', 1), cell('r', 'word:cat', 1), cell('r', 'word:cow', 1), cell('r', 'word:dog', 1), cell('r', 'word:fish', 1), cell('r', 'other', 1)]],
        spec: {
          columns: [{ lower: { value: b('word:cat'), inclusive: false }, upper: { value: b('word:dog'), inclusive: true } }, { lower: { value: b('word:fish'), inclusive: true } }],
        },
        want: ['r word:cow@1=v', 'r word:dog@1=v', 'r word:fish@1=v'],
      },
      {
        name: 'a family-only column range skips other families',
        batches: [[cell('a', 'x:1', 1), cell('a', 'y:1', 1), cell('b', 'x:2', 1), cell('b', 'y:2', 1)]],
        spec: { columns: [{ lower: { value: b('y:'), inclusive: true }, upper: { value: b('y;'), inclusive: false } }] },
        want: ['a y:1@1=v', 'b y:2@1=v'],
      },
      {
        name: 'time ranges',
        batches: [[cell('r', 'c', 5), cell('r', 'c', 10), cell('r', 'c', 15), cell('s', 'c', 20)]],
        spec: { times: [{ lower: { value: 5, inclusive: false }, upper: { value: 15, inclusive: false } }, { lower: { value: 20, inclusive: true } }] },
        want: ['r c@10=v', 's c@20=v'],
      },
      {
        name: 'row ranges and a single row',
        batches: [[cell('a', 'c', 1), cell('b', 'c', 1), cell('c', 'c', 1), cell('d', 'c', 1), cell('e', 'c', 1)]],
        spec: {
          rows: [
            { lower: { value: b('a'), inclusive: false }, upper: { value: b('b'), inclusive: true } },
            { lower: { value: b('d'), inclusive: true }, upper: { value: b('d'), inclusive: true } },
          ],
        },
        want: ['b c@1=v', 'd c@1=v'],
      },
      {
        name: 'binary rows and columns compare as unsigned bytes',
        batches: [
          [
            { row: Buffer.from([0xff]), column: Buffer.from([0]), timestamp: 1, value: b('hi') },
            { row: Buffer.from([0x00, 0x01]), column: b(''), timestamp: 1, value: b('') },
          ],
        ],
        want: ['\u0000\u0001 @1=', '\ufffd \u0000@1=hi'],
      },
      {
        name: 'purge by max history applies at scan time whatever compaction did',
        batches: [[cell('r', 'c', 1), cell('r', 'c', 2)], [cell('r', 'c', 3)]],
        purge: { maxHistory: 2 },
        want: ['r c@3=v', 'r c@2=v'],
      },
      {
        name: 'purge by max age',
        batches: [[cell('r', 'c', 100), cell('r', 'c', 900)], [cell('s', 'c', 950)]],
        purge: { maxAgeMicros: 500 },
        now: 1000,
        want: ['r c@900=v', 's c@950=v'],
      },
    ];

    for (const v of vectors) {
      for (const placement of PLACEMENTS) {
        it(`${v.name} [${placement}]`, async () => {
          const clock = v.now === undefined ? undefined : new ManualClock({ wallMicros: v.now });
          const engine = await withPlacement(placement, v.batches, v.purge, clock);
          expect(show(await scanAll(engine, 't', v.spec ?? {}))).toEqual(v.want);
          // Paging one cell at a time gives the same answer.
          expect(show(await scanAll(engine, 't', v.spec ?? {}, 1))).toEqual(v.want);
        });
      }
    }

    it('a point read finds its row in any fragment', async () => {
      const { engine } = await open();
      await engine.createTablet({ id: 't', table: 'tb' });
      for (let i = 0; i < 50; i++) {
        await engine.apply('tb', [cell(`row${String(i).padStart(3, '0')}`, 'c', 1, `v${i}`)]);
        if (i % 10 === 9) await engine.serialize();
      }
      for (let i = 0; i < 50; i++) {
        const row = `row${String(i).padStart(3, '0')}`;
        expect(show((await engine.scan('t', point(row))).cells)).toEqual([`${row} c@1=v${i}`]);
      }
      expect((await engine.scan('t', point('row0500'))).cells).toEqual([]);
    });

    it('tablets split a table by row range and reject rows outside them', async () => {
      const { engine } = await open();
      await engine.createTablet({ id: 'lo', table: 'tb', upperInclusive: b('m') });
      await engine.createTablet({ id: 'hi', table: 'tb', lowerExclusive: b('m') });
      await engine.apply('tb', [cell('a', 'c', 1), cell('m', 'c', 1), cell('n', 'c', 1), cell('z', 'c', 1)]);
      expect(show(await scanAll(engine, 'lo'))).toEqual(['a c@1=v', 'm c@1=v']);
      expect(show(await scanAll(engine, 'hi'))).toEqual(['n c@1=v', 'z c@1=v']);
      await expect(engine.createTablet({ id: 'x', table: 'tb', upperInclusive: b('c') })).rejects.toThrow(/overlaps/);
      const { engine: e2 } = await open();
      await e2.createTablet({ id: 'only', table: 'tb', upperInclusive: b('m') });
      await expect(e2.apply('tb', [cell('a', 'c', 1), cell('q', 'c', 1)])).rejects.toThrow(/cells\[1\]\.row is outside/);
      expect(await scanAll(e2, 'only')).toEqual([]); // nothing of the rejected batch was applied
      await expect(e2.apply('nope', [cell('a', 'c', 1)])).rejects.toThrow(/no tablet of table nope/);
    });

    it('data survives close and reopen, in memory (log) and on disk', async () => {
      const { engine, env } = await open();
      await engine.createTablet({ id: 't', table: 'tb' });
      await engine.apply('tb', [cell('a', 'c', 1, 'disk')]);
      await engine.serialize();
      await engine.apply('tb', [cell('b', 'c', 1, 'log'), erase('a', 'c', 1)]);
      await engine.apply('tb', [cell('a', 'c', 2, 'log2')]);
      await engine.close();
      const { engine: again } = await open({}, env);
      expect(show(await scanAll(again, 't'))).toEqual(['a c@2=log2', 'b c@1=log']);
      await again.serialize();
      await again.close();
      const { engine: third } = await open({}, env);
      expect(show(await scanAll(third, 't'))).toEqual(['a c@2=log2', 'b c@1=log']);
    });

    it('split tablets share fragments and each sees only its rows, also after reopen', async () => {
      const { engine, env } = await open();
      await engine.createTablet({ id: 't', table: 'tb' });
      const rows = Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(4, '0')}`);
      await engine.apply(
        'tb',
        rows.map((r) => cell(r, 'c', 1, r)),
      );
      await engine.serialize();
      const median = engine.approximateMedianRow('t');
      expect(median).toBeDefined();
      const m = Buffer.from(median!).toString();
      expect(m > rows[10]! && m < rows[190]!).toBe(true);
      await engine.splitTablet('t', median!, 't1', 't2');
      const low = show(await scanAll(engine, 't1'));
      const high = show(await scanAll(engine, 't2'));
      expect([...low, ...high]).toEqual(rows.map((r) => `${r} c@1=${r}`));
      expect(low.at(-1)!.startsWith(m)).toBe(true);
      await engine.compactTablet('t1', { full: true });
      expect(show(await scanAll(engine, 't2'))).toEqual(high);
      await engine.close();
      const { engine: again } = await open({}, env);
      expect(show(await scanAll(again, 't1'))).toEqual(low);
      expect(show(await scanAll(again, 't2'))).toEqual(high);
    });

    it('compaction output scans identically to the chain it replaced (random data)', async () => {
      for (const seed of [1, 2, 3]) {
        const r = rng(seed);
        const { engine } = await open();
        await engine.createTablet({ id: 't', table: 'tb' });
        const model = new TableModel();
        for (let f = 0; f < 6; f++) {
          const batch: Cell[] = [];
          for (let i = 0; i < 150; i++) {
            const row = `r${Math.floor(r() * 60)}`;
            const col = `f${Math.floor(r() * 3)}:q${Math.floor(r() * 3)}`;
            const ts = Math.floor(r() * 5);
            batch.push(r() < 0.2 ? erase(row, col, ts) : cell(row, col, ts, `v${f}.${i}`));
          }
          await engine.apply('tb', batch);
          model.apply(batch);
          await engine.serialize();
        }
        const specs: ScanSpec[] = [{}, { history: 1 }, { history: -2 }, { times: [{ lower: { value: 2, inclusive: true } }] }];
        const before = await Promise.all(specs.map((s) => scanAll(engine, 't', s)));
        expect(show(before[0]!)).toEqual(show(model.sorted()));
        await engine.compactTablet('t'); // the picker's choice (may be partial)
        await engine.compactTablet('t', { full: true });
        expect(engine.tabletSizes('t').fragments).toBe(1);
        const after = await Promise.all(specs.map((s) => scanAll(engine, 't', s)));
        for (let i = 0; i < specs.length; i++) expect(show(after[i]!)).toEqual(show(before[i]!));
      }
    });

    it('an open scanner keeps compacted-away fragments readable; they are deleted afterwards', async () => {
      const { engine, env } = await open();
      await engine.createTablet({ id: 't', table: 'tb' });
      for (let i = 0; i < 3; i++) {
        await engine.apply(
          'tb',
          Array.from({ length: 40 }, (_, j) => cell(`r${i}${String(j).padStart(3, '0')}`, 'c', 1)),
        );
        await engine.serialize();
      }
      const listFrags = async () => (await env.fs.list(`${env.root}/engine/tables/tb/t/default`)).filter((f) => f.endsWith('.frag'));
      expect(await listFrags()).toHaveLength(3);
      const scanner = await engine.openScanner('t', {});
      const first = await scanner.nextBatch(10, 1 << 20);
      await engine.compactTablet('t', { full: true });
      await engine.idle();
      expect(await listFrags()).toHaveLength(4);
      let n = first.cells.length;
      for (let p = await scanner.nextBatch(7, 1 << 20); ; p = await scanner.nextBatch(7, 1 << 20)) {
        n += p.cells.length;
        if (p.end) break;
      }
      expect(n).toBe(120);
      await engine.idle();
      expect(await listFrags()).toHaveLength(1);
    });

    it('serializes by itself when memory passes the budget, and trims the log', async () => {
      const { engine, env } = await open({ memoryBudgetBytes: 64 << 10, logSegmentBytes: 32 << 10, autoCompact: true });
      await engine.createTablet({ id: 't', table: 'tb' });
      const model = new TableModel();
      for (let i = 0; i < 60; i++) {
        const batch = Array.from({ length: 20 }, (_, j) => cell(`r${String((i * 37 + j * 11) % 500).padStart(4, '0')}`, 'c', i, 'x'.repeat(100)));
        await engine.apply('tb', batch, { sync: false });
        model.apply(batch);
      }
      await engine.idle();
      expect(engine.tabletSizes('t').diskCells).toBeGreaterThan(0);
      expect(engine.memoryBytes()).toBeLessThan(64 << 10);
      const segments = await env.fs.list(`${env.root}/engine/log`);
      expect(segments.length).toBeLessThan(5);
      expect(show(await scanAll(engine, 't'))).toEqual(show(model.sorted()));
    });

    it('an in-memory tablet keeps its blocks cached at high priority, also after reopen', async () => {
      const cache = new BlockCache({ capacityBytes: 4 << 20 });
      const { engine, env } = await open({ cache });
      await engine.createTablet({ id: 'hot', table: 'tb', inMemory: true });
      const batch = Array.from({ length: 300 }, (_, i) => cell(`r${String(i).padStart(4, '0')}`, 'c', 1, 'x'.repeat(50)));
      await engine.apply('tb', batch);
      await engine.serialize();
      expect(cache.stats.inMemoryBytes).toBeGreaterThan(0);
      await engine.close();
      const cache2 = new BlockCache({ capacityBytes: 4 << 20 });
      const { engine: again } = await open({ cache: cache2 }, env);
      expect(cache2.stats.inMemoryBytes).toBeGreaterThan(0);
      const misses = cache2.stats.misses;
      expect(show(await scanAll(again, 'hot'))).toEqual(show(batch));
      expect(cache2.stats.misses).toBe(misses); // every block was already there
    });

    it('rejects bad input without harming stored data', async () => {
      const { engine } = await open();
      await engine.createTablet({ id: 't', table: 'tb' });
      await engine.apply('tb', [cell('a', 'c', 1)]);
      await expect(engine.apply('tb', [{ row: b('a'), column: b('c'), timestamp: 1.5, value: b('x') }])).rejects.toThrow(/timestamp must be a safe integer/);
      await expect(engine.apply('tb', [{ row: 'a' as unknown as Uint8Array, column: b('c'), timestamp: 1, value: b('x') }])).rejects.toThrow(/row must be bytes/);
      await expect(engine.createTablet({ id: '../x', table: 'tb2' })).rejects.toThrow(/tablet id/);
      await expect(engine.createTablet({ id: 'y', table: 'a/b' })).rejects.toThrow(/table name/);
      await expect(engine.createTablet({ id: 'z', table: 'tb3', purge: { maxHistory: 0 } })).rejects.toThrow(/maxHistory/);
      await expect(engine.scan('missing', {})).rejects.toThrow(/no tablet missing/);
      expect(show(await scanAll(engine, 't'))).toEqual(['a c@1=v']);
    });
  });
  describeLocalityGroupConformance(name, factory);
}
