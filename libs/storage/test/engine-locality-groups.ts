// Locality groups in the engine conformance suite (DESIGN §6): run on every
// filesystem backend, each behaviour with the data in memory, serialized,
// compacted and mixed. Files on disk are opened directly to check what each
// group's fragments hold; "a scan reads only its group" is proven by
// corrupting the other groups' fragments and scanning successfully.

import { afterEach, describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { BlockCache } from '../src/cache/block-cache.js';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions } from '../src/engine/engine.js';
import { isStorageError } from '../src/errors.js';
import { familyBit } from '../src/fragment/family-mask.js';
import { FragmentReader } from '../src/fragment/fragment-reader.js';
import type { FileSystem } from '../src/fs/file-system.js';
import type { LocalityGroupSpec } from '../src/schema/locality-group.js';
import type { ScanSpec } from '../src/scan/scan-spec.js';
import type { FsFactory } from './engine-conformance.js';
import { b, cell, erase, rng, show, str, TableModel } from './kit.js';

type Placement = 'memory' | 'serialized' | 'compacted' | 'mixed';
const PLACEMENTS: Placement[] = ['memory', 'serialized', 'compacted', 'mixed'];
const TABLE = 'webtable';

/** Columns of one family with a qualifier: column ~= 'F:' (F: ≤ column < F;), as a client asks for a family. */
const family = (f: string): ScanSpec => ({ columns: [{ lower: { value: b(`${f}:`), inclusive: true }, upper: { value: b(`${f};`), inclusive: false } }] });

/** A family whose family-mask bit is anchor's (found by search, so the test does not depend on the hash). */
const TWIN = (() => {
  for (let i = 0; ; i++) if (familyBit(b(`twin${i}`)) === familyBit(b('anchor'))) return `twin${i}`;
})();

const GROUPS: LocalityGroupSpec[] = [
  { name: 'anchors', families: ['anchor'], compression: 'none', blockSize: 4096 },
  { name: 'contents', families: ['contents'], purge: { maxHistory: 1 } },
  { name: 'rest', families: '*' },
];

interface Env {
  fs: FileSystem;
  root: string;
}

export function describeLocalityGroupConformance(name: string, factory: FsFactory): void {
  describe(`locality groups on ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function open(env?: Env, extra: Partial<EngineOptions> = {}): Promise<{ engine: Engine; env: Env }> {
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
        cache: new BlockCache({ capacityBytes: 4 << 20 }),
        blockSize: 256,
        autoCompact: false,
        ...factory.engineOptions,
        ...extra,
      });
      cleanups.push(() => engine.close());
      return { engine, env: e0 };
    }

    async function scanAll(engine: Engine, spec: ScanSpec = {}, tablet = 't'): Promise<string[]> {
      const out: Cell[] = [];
      let after: Cell | undefined;
      for (;;) {
        const page = await engine.scan(tablet, spec, { maxCells: 7, after });
        out.push(...page.cells);
        if (page.end) return show(out);
        after = page.cells[page.cells.length - 1] ?? after;
      }
    }

    /** Applies the batches, serializing and compacting as the placement says. */
    async function place(engine: Engine, placement: Placement, batches: Cell[][], model?: TableModel): Promise<void> {
      for (let i = 0; i < batches.length; i++) {
        await engine.apply(TABLE, batches[i]!);
        model?.apply(batches[i]!);
        const last = i === batches.length - 1;
        if (placement === 'serialized' || placement === 'compacted' || (placement === 'mixed' && !last)) await engine.serialize();
      }
      if (placement === 'compacted') await engine.compactTablet('t', { full: true });
    }

    const groupDir = (env: Env, group: string, tablet = 't') => `${env.root}/engine/tables/${TABLE}/${tablet}/${group}`;

    /** The fragment files of a group's directory, and the families of the cells in each. */
    async function filesOf(env: Env, group: string): Promise<{ path: string; families: Set<string>; blocks: number; bytes: number }[]> {
      const dir = groupDir(env, group);
      if (!(await env.fs.exists(dir))) return [];
      const out = [];
      for (const f of (await env.fs.list(dir)).filter((x) => x.endsWith('.frag'))) {
        const reader = await FragmentReader.open(env.fs, `${dir}/${f}`);
        const families = new Set<string>();
        for (let i = 0; i < reader.blockCount; i++) for (const c of (await reader.readBlock(i)).cells) families.add(str(c.column)!.split(':')[0]!);
        out.push({ path: `${dir}/${f}`, families, blocks: reader.info.blockCount, bytes: reader.info.fileBytes });
        await reader.close();
      }
      return out;
    }

    const webBatches = (): Cell[][] => [
      [cell('com.a', 'anchor:x', 1, 'A1'), cell('com.a', 'contents:', 1, 'page-v1'), cell('com.a', 'lang:', 1, 'en')],
      [cell('com.a', 'contents:', 2, 'page-v2'), cell('com.b', 'anchor:y', 1, 'B1'), cell('com.b', 'mime:', 1, 'text/html')],
      [cell('com.a', 'contents:', 3, 'page-v3'), erase('com.a', 'lang:', 1), cell('com.c', 'anchor:z', 2, 'C2')],
    ];

    for (const placement of PLACEMENTS) {
      it(`routes each family to its group's chain, with that group's purge [${placement}]`, async () => {
        const { engine, env } = await open();
        await engine.createTablet({ id: 't', table: TABLE, groups: GROUPS });
        await place(engine, placement, webBatches());
        const want = ['com.a anchor:x@1=A1', 'com.a contents:@3=page-v3', 'com.b anchor:y@1=B1', 'com.b mime:@1=text/html', 'com.c anchor:z@2=C2'];
        expect(await scanAll(engine)).toEqual(want);
        expect(await scanAll(engine, family('anchor'))).toEqual(want.filter((c) => c.includes(' anchor:')));
        expect(await scanAll(engine, family('contents'))).toEqual(['com.a contents:@3=page-v3']);
        // history is counted per column, whatever group purge said
        expect(await scanAll(engine, { ...family('contents'), history: -1 })).toEqual([]);
        await engine.idle(); // compacted-away files are deleted in the background
        const files = { anchors: await filesOf(env, 'anchors'), contents: await filesOf(env, 'contents'), rest: await filesOf(env, 'rest') };
        if (placement === 'memory') {
          expect(Object.values(files).flat()).toEqual([]);
          return;
        }
        expect(files.anchors.length).toBeGreaterThan(0);
        for (const f of files.anchors) expect([...f.families]).toEqual(['anchor']);
        for (const f of files.contents) expect([...f.families]).toEqual(['contents']);
        for (const f of files.rest) for (const fam of f.families) expect(['lang', 'mime']).toContain(fam);
        const sizes = engine.tabletSizes('t');
        expect(Object.keys(sizes.groups)).toEqual(['anchors', 'contents', 'rest']);
        expect(sizes.fragments).toBe(sizes.groups.anchors!.fragments + sizes.groups.contents!.fragments + sizes.groups.rest!.fragments);
        if (placement === 'compacted') {
          // Compaction applied the contents group's maxHistory 1 and dropped the erasure and its cell.
          expect(sizes.groups.contents!.diskCells).toBe(1);
          expect(sizes.groups.rest!.diskCells).toBe(1);
          expect(sizes.groups.anchors!.diskCells).toBe(3);
        }
      });

      it(`a scan confined to one family reads only its group's fragments [${placement}]`, async () => {
        const { engine, env } = await open();
        // 'twin' shares anchor's family-mask bit, so block masks cannot skip
        // its blocks: only choosing chains by group keeps the scan off them.
        const groups: LocalityGroupSpec[] = [
          { name: 'anchors', families: ['anchor'], blockSize: 4096 },
          { name: 'twins', families: [TWIN] },
          { name: 'rest', families: '*' },
        ];
        await engine.createTablet({ id: 't', table: TABLE, groups });
        const rows = Array.from({ length: 40 }, (_, i) => `row${String(i).padStart(3, '0')}`);
        await place(engine, placement, [
          rows.map((r) => cell(r, 'anchor:a', 1, `anchor of ${r}`)),
          rows.map((r) => cell(r, `${TWIN}:t`, 1, `twin of ${r} `.repeat(4))),
          rows.map((r) => cell(r, 'other:o', 1, `other ${r}`)),
        ]);
        const anchors = rows.map((r) => `${r} anchor:a@1=anchor of ${r}`);
        expect(await scanAll(engine, family('anchor'))).toEqual(anchors);
        if (placement !== 'memory') expect(engine.stat('t', family('anchor')).cells).toBe(40);
        await engine.close();
        // Damage the first data block of every fragment outside the anchors group.
        let damaged = 0;
        for (const group of ['twins', 'rest']) {
          for (const f of await filesOf(env, group)) {
            const data = Buffer.from(await env.fs.readFile(f.path));
            data[20]! ^= 0x40;
            await env.fs.writeFileAtomic(f.path, data);
            damaged++;
          }
        }
        expect(damaged > 0).toBe(placement !== 'memory');
        const { engine: again } = await open(env);
        expect(await scanAll(again, family('anchor'))).toEqual(anchors);
        expect(await scanAll(again, { ...family('anchor'), rows: [{ lower: { value: b('row010'), inclusive: true }, upper: { value: b('row010'), inclusive: true } }] })).toEqual([
          anchors[10],
        ]);
        if (placement === 'memory') return;
        // The damage is real: a scan that needs the other groups fails naming a damaged file.
        const err = await scanAll(again, family(TWIN)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isStorageError(err, 'corruption')).toBe(true);
        expect(String((err as Error).message)).toMatch(/\/twins\/\d{8}\.frag/);
      });

      it(`without a wildcard group a write to another family is rejected whole [${placement}]`, async () => {
        const { engine } = await open();
        await engine.createTablet({
          id: 't',
          table: TABLE,
          groups: [
            { name: 'a', families: ['a'] },
            { name: 'b', families: ['b', 'bé'] },
          ],
        });
        await place(engine, placement, [[cell('r1', 'a:1', 1), cell('r1', 'b', 1)], [cell('r2', 'bé:x', 1)]]);
        const before = await scanAll(engine);
        expect(before).toEqual(['r1 a:1@1=v', 'r1 b@1=v', 'r2 bé:x@1=v']);
        const err = await engine.apply(TABLE, [cell('r3', 'a:2', 1), cell('r3', 'c:1', 1)]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isStorageError(err, 'invalid-argument')).toBe(true);
        expect((err as Error).message).toMatch(/^cells\[1\]\.column is in family "c", which no locality group/);
        expect((err as { details?: unknown }).details).toEqual({ cellIndex: 1, family: 'c' });
        await expect(engine.apply(TABLE, [cell('r3', 'ab:1', 1)])).rejects.toThrow(/family "ab"/);
        await expect(engine.apply(TABLE, [cell('r3', ':1', 1)])).rejects.toThrow(/family ""/);
        expect(await scanAll(engine)).toEqual(before); // nothing of the rejected batches was applied
      });

      it(`a schema change keeps results; compaction then repartitions the fragments [${placement}]`, async () => {
        const { engine, env } = await open();
        await engine.createTablet({ id: 't', table: TABLE });
        const model = new TableModel();
        await place(
          engine,
          placement,
          [
            [cell('r1', 'a:x', 1, 'a1'), cell('r1', 'b:x', 1, 'b1'), cell('r2', 'c', 1, 'c1')],
            [cell('r2', 'a:x', 2, 'a2'), cell('r3', 'b:y', 2, 'b2')],
          ],
          model,
        );
        const before = show(model.sorted());
        expect(await scanAll(engine)).toEqual(before);
        // 'a' moves out of the wildcard group into its own group with its own purge.
        await engine.setTableSchema(TABLE, [
          { name: 'A', families: ['a'], compression: 'none', purge: { maxHistory: 5 } },
          { name: 'rest', families: '*' },
        ]);
        expect(engine.tabletGroups('t').map((g) => g.name)).toEqual(['A', 'rest']);
        expect(await scanAll(engine)).toEqual(before);
        const legacy = engine.tabletSizes('t').legacy.fragments;
        expect(legacy > 0).toBe(placement !== 'memory');
        // An erasure after the change hides a cell that still sits in legacy fragments.
        const later = [erase('r1', 'a:x', 1), cell('r4', 'a:z', 3, 'a3'), cell('r4', 'd', 3, 'd3')];
        await engine.apply(TABLE, later);
        model.apply(later);
        await engine.serialize();
        const after = show(model.sorted());
        expect(await scanAll(engine)).toEqual(after);
        // Compacting group A alone must not drop that erasure while legacy exists.
        await engine.compactTablet('t', { group: 'A', full: true });
        expect(await scanAll(engine)).toEqual(after);
        await engine.compactTablet('t'); // repartitions legacy
        expect(engine.tabletSizes('t').legacy.fragments).toBe(0);
        expect(await scanAll(engine)).toEqual(after);
        expect(await scanAll(engine, family('a'))).toEqual(after.filter((c) => c.includes(' a:')));
        await engine.idle();
        for (const f of await filesOf(env, 'A')) expect([...f.families]).toEqual(['a']);
        for (const f of await filesOf(env, 'rest')) expect(f.families.has('a')).toBe(false);
        await engine.compactTablet('t', { full: true });
        expect(await scanAll(engine)).toEqual(after);
        // The old wildcard group's directory holds no fragment any more once unreferenced files go.
        await engine.idle();
        expect(await filesOf(env, 'default')).toEqual([]);
      });

      it(`dropping a family from a schema without wildcard hides its cells, and compaction deletes them [${placement}]`, async () => {
        const { engine } = await open();
        const ab: LocalityGroupSpec[] = [
          { name: 'A', families: ['a'] },
          { name: 'B', families: ['b'] },
        ];
        await engine.createTablet({ id: 't', table: TABLE, groups: ab });
        await place(engine, placement, [
          [cell('r', 'a:1', 1), cell('r', 'b:1', 1)],
          [cell('s', 'a:1', 1), cell('s', 'b:1', 1)],
        ]);
        await engine.setTableSchema(TABLE, [{ name: 'A', families: ['a'] }]);
        expect(await scanAll(engine)).toEqual(['r a:1@1=v', 's a:1@1=v']);
        expect(await scanAll(engine, family('b'))).toEqual([]);
        await expect(engine.apply(TABLE, [cell('t', 'b:1', 1)])).rejects.toThrow(/family "b"/);
        await engine.serialize();
        await engine.compactTablet('t', { full: true });
        await engine.setTableSchema(TABLE, ab);
        expect(await scanAll(engine)).toEqual(['r a:1@1=v', 's a:1@1=v']);
      });
    }

    it('each group writes with its own compression and block size (also on worker threads)', async () => {
      const { engine, env } = await open(undefined, { blockSize: 64 << 10 });
      await engine.createTablet({
        id: 't',
        table: TABLE,
        groups: [
          { name: 'raw', families: ['raw'], compression: 'none', blockSize: 4096 },
          { name: 'packed', families: ['packed'], compression: 'lz4', blockSize: 65536 },
        ],
      });
      const value = 'the same words again and again '.repeat(20);
      await engine.apply(
        TABLE,
        Array.from({ length: 60 }, (_, i) => [cell(`r${String(i).padStart(3, '0')}`, 'raw:x', 1, value), cell(`r${String(i).padStart(3, '0')}`, 'packed:x', 1, value)]).flat(),
      );
      await engine.serialize();
      const [raw] = await filesOf(env, 'raw');
      const [packed] = await filesOf(env, 'packed');
      expect(raw!.bytes).toBeGreaterThan(4 * packed!.bytes);
      expect(raw!.blocks).toBeGreaterThan(5);
      expect(packed!.blocks).toBe(1);
    });

    it('an in-memory group preloads only its own blocks, also after reopen', async () => {
      const cache = new BlockCache({ capacityBytes: 8 << 20 });
      const groups: LocalityGroupSpec[] = [
        { name: 'hot', families: ['hot'], inMemory: true },
        { name: 'cold', families: '*' },
      ];
      const { engine, env } = await open(undefined, { cache });
      await engine.createTablet({ id: 't', table: TABLE, groups });
      const batch = Array.from({ length: 200 }, (_, i) => [
        cell(`r${String(i).padStart(4, '0')}`, 'hot:h', 1, 'x'.repeat(40)),
        cell(`r${String(i).padStart(4, '0')}`, 'cold:c', 1, 'y'.repeat(40)),
      ]).flat();
      await engine.apply(TABLE, batch);
      await engine.serialize();
      expect(cache.stats.inMemoryBytes).toBeGreaterThan(0);
      await engine.close();
      const cache2 = new BlockCache({ capacityBytes: 8 << 20 });
      const { engine: again } = await open(env, { cache: cache2 });
      expect(again.tabletGroups('t')).toEqual(groups);
      const misses = cache2.stats.misses;
      expect((await scanAll(again, family('hot'))).length).toBe(200);
      expect(cache2.stats.misses).toBe(misses); // every hot block was preloaded
      expect((await scanAll(again, family('cold'))).length).toBe(200);
      expect(cache2.stats.misses).toBeGreaterThan(misses); // cold blocks were not
    });

    it('groups, chains and legacy fragments survive reopen; split halves keep the groups', async () => {
      const { engine, env } = await open();
      await engine.createTablet({ id: 't', table: TABLE, groups: GROUPS });
      const model = new TableModel();
      const rows = Array.from({ length: 120 }, (_, i) => `r${String(i).padStart(4, '0')}`);
      for (const fam of ['anchor:a', 'contents:', 'misc:m']) {
        const batch = rows.map((r) => cell(r, fam, 1, `${fam}${r}`));
        await engine.apply(TABLE, batch);
        model.apply(batch);
        await engine.serialize();
      }
      // anchors keeps its families, contents joins the wildcard, and the old
      // wildcard chain loses 'misc' to anchors: it alone is retired.
      await engine.setTableSchema(TABLE, [
        { name: 'anchors', families: ['anchor', 'misc'] },
        { name: 'everything-else', families: '*' },
      ]);
      const sizes = engine.tabletSizes('t');
      expect(sizes.groups.anchors!.fragments).toBe(1);
      expect(sizes.groups['everything-else']!.fragments).toBe(1);
      expect(sizes.legacy.fragments).toBe(1);
      await engine.close();
      const { engine: again } = await open(env);
      expect(again.tabletGroups('t').map((g) => g.name)).toEqual(['anchors', 'everything-else']);
      expect(again.tabletSizes('t').legacy.fragments).toBe(1);
      expect(await scanAll(again)).toEqual(show(model.sorted()));
      const median = again.approximateMedianRow('t')!;
      expect(median).toBeDefined();
      await again.splitTablet('t', median, 'lo', 'hi');
      expect(again.tabletGroups('lo')).toEqual(again.tabletGroups('hi'));
      expect([...(await scanAll(again, {}, 'lo')), ...(await scanAll(again, {}, 'hi'))]).toEqual(show(model.sorted()));
      await again.compactTablet('lo', { full: true });
      expect(again.tabletSizes('lo').legacy.fragments).toBe(0);
      await again.close();
      const { engine: third } = await open(env);
      expect(third.tabletSizes('hi').legacy.fragments).toBe(1);
      expect(third.tabletSizes('lo').groups.anchors!.fragments).toBe(1);
      expect([...(await scanAll(third, {}, 'lo')), ...(await scanAll(third, {}, 'hi'))]).toEqual(show(model.sorted()));
      expect(await scanAll(third, family('anchor'), 'lo')).toEqual(show(model.sorted()).filter((c) => c.includes(' anchor:') && c < `${str(median)}~`));
    });

    it('a version-1 directory (flat fragment files, one chain) opens as the default group and keeps working', async () => {
      const { engine, env } = await open();
      await engine.createTablet({ id: 't', table: TABLE });
      const batch = [cell('r', 'f:a', 1, 'old'), cell('r', 'f:a', 2, 'new'), cell('s', 'g', 1)];
      await engine.apply(TABLE, batch);
      await engine.serialize();
      await engine.close();
      // Rewrite the directory as the engine before locality groups left it.
      const root = `${env.root}/engine`;
      const [file] = (await env.fs.list(`${root}/tables/${TABLE}/t/default`)).filter((f) => f.endsWith('.frag'));
      const flat = `tables/${TABLE}/t/${file}`;
      await env.fs.rename(`${root}/tables/${TABLE}/t/default/${file}`, `${root}/${flat}`);
      await env.fs.rmdir(`${root}/tables/${TABLE}/t/default`);
      const m = JSON.parse(Buffer.from(await env.fs.readFile(`${root}/MANIFEST`)).toString());
      const v1 = { ...m, version: 1, tablets: [{ id: 't', table: TABLE, lower: null, upper: null, purge: { maxHistory: 1 }, inMemory: false, fragments: [flat] }] };
      await env.fs.writeFileAtomic(`${root}/MANIFEST`, Buffer.from(JSON.stringify(v1)));
      // Leftovers of interrupted work, in both layouts, go at open.
      const strayFlat = `${root}/tables/${TABLE}/t/99999998.frag.tmp`;
      const strayGroup = `${root}/tables/${TABLE}/t/default/99999999.frag`;
      for (const p of [strayFlat, strayGroup]) {
        await env.fs.mkdir(p.slice(0, p.lastIndexOf('/')));
        await env.fs.writeFileAtomic(p, Buffer.from('junk'));
      }
      const { engine: again } = await open(env);
      expect(await env.fs.exists(strayFlat)).toBe(false);
      expect(await env.fs.exists(strayGroup)).toBe(false);
      expect(again.tabletGroups('t')).toEqual([{ name: 'default', families: '*', purge: { maxHistory: 1 } }]);
      expect(await scanAll(again)).toEqual(['r f:a@2=new', 's g@1=v']);
      await again.apply(TABLE, [cell('t', 'f', 1)]);
      await again.serialize();
      await again.compactTablet('t', { full: true });
      expect(await scanAll(again)).toEqual(['r f:a@2=new', 's g@1=v', 't f@1=v']);
      expect(again.tabletSizes('t').diskCells).toBe(3);
      await again.close();
      const saved = JSON.parse(Buffer.from(await env.fs.readFile(`${root}/MANIFEST`)).toString());
      expect(saved.version).toBe(4);
      expect(await env.fs.exists(`${root}/${flat}`)).toBe(false); // compacted away
    });

    it('random writes, erasures, schema changes and compactions scan like the model (per family too)', async () => {
      const schemas: LocalityGroupSpec[][] = [
        [{ name: 'default', families: '*' }],
        [
          { name: 'ab', families: ['a', 'b'] },
          { name: 'rest', families: '*' },
        ],
        [
          { name: 'a', families: ['a'], blockSize: 4096 },
          { name: 'bc', families: ['b', 'c'], compression: 'none' },
          { name: 'rest', families: '*' },
        ],
        [
          { name: 'c', families: ['c'] },
          { name: 'rest', families: '*' },
        ],
      ];
      for (const seed of [1, 2, 3]) {
        const r = rng(seed);
        const { engine } = await open();
        await engine.createTablet({ id: 't', table: TABLE, groups: schemas[1] });
        const model = new TableModel();
        for (let step = 0; step < 60; step++) {
          const x = r();
          if (x < 0.5) {
            const batch = Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
              const row = `r${Math.floor(r() * 15)}`;
              const col = `${'abcd'[Math.floor(r() * 4)]}:${Math.floor(r() * 2)}`;
              const ts = Math.floor(r() * 3);
              return r() < 0.25 ? erase(row, col, ts) : cell(row, col, ts, `s${seed}.${step}`);
            });
            await engine.apply(TABLE, batch);
            model.apply(batch);
          } else if (x < 0.7) {
            await engine.serialize();
          } else if (x < 0.8) {
            await engine.setTableSchema(TABLE, schemas[Math.floor(r() * schemas.length)]!);
          } else if (x < 0.9) {
            const groups = engine.tabletGroups('t');
            const group = r() < 0.5 ? groups[Math.floor(r() * groups.length)]!.name : undefined;
            await engine.compactTablet('t', { full: r() < 0.5, ...(group ? { group } : {}) });
          } else {
            const want = show(model.sorted());
            expect(await scanAll(engine)).toEqual(want);
            for (const f of 'abcd') expect(await scanAll(engine, family(f))).toEqual(want.filter((c) => c.split(' ')[1]!.startsWith(`${f}:`)));
          }
        }
        await engine.compactTablet('t', { full: true });
        expect(engine.tabletSizes('t').legacy.fragments).toBe(0);
        expect(await scanAll(engine)).toEqual(show(model.sorted()));
      }
    });

    it('an invalid schema is rejected whole and the old one kept', async () => {
      const { engine } = await open();
      await engine.createTablet({ id: 't', table: TABLE, groups: GROUPS });
      await engine.apply(TABLE, [cell('r', 'anchor:x', 1)]);
      const bad: LocalityGroupSpec[] = [
        { name: 'x', families: '*' },
        { name: 'y', families: '*' },
        { name: 'x', families: ['a:b'], blockSize: 100 },
      ];
      const err = await engine.setTableSchema(TABLE, bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStorageError(err, 'invalid-argument')).toBe(true);
      const msg = (err as Error).message;
      for (const part of ['groups[1].families', 'groups[2].name', 'groups[2].families[0]', 'groups[2].blockSize']) expect(msg).toContain(part);
      expect(engine.tabletGroups('t')).toEqual(GROUPS);
      expect(await scanAll(engine)).toEqual(['r anchor:x@1=v']);
      await expect(engine.setTableSchema('nope', GROUPS)).rejects.toThrow(/no tablet of table nope/);
      await expect(engine.createTablet({ id: 'u', table: 'other', groups: GROUPS, purge: { maxHistory: 1 } })).rejects.toThrow(/set purge and inMemory on each group/);
      await expect(engine.createTablet({ id: 'u', table: 'other', groups: [] })).rejects.toThrow(/at least one locality group/);
      await expect(engine.compactTablet('t', { group: 'missing' })).rejects.toThrow(/no locality group "missing"/);
    });
  });
}
