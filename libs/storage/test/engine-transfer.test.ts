// Moving tablets between engines (DESIGN §7 "Loading a tablet",
// "Unloading"), on the in-memory and the Node filesystem: engine A writes
// (some data serialized, some only in its log) and dies; engine B, in
// another directory of the same filesystem, loads one of A's tablets from
// A's fragment paths and A's log directory and must show exactly what A
// acknowledged for that tablet's rows — never touching A's files; B
// unloads it and C loads it from B's fragments alone. Failed loads leave
// nothing behind.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Cell } from '@kdi/primitives';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions, LEGACY_FRAGMENTS } from '../src/engine/engine.js';
import { isStorageError, type StorageError } from '../src/errors.js';
import type { FileSystem } from '../src/fs/file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { listSegments, segmentPath } from '../src/log/segment-files.js';
import { FragmentWorkerPool } from '../src/workers/fragment-worker-pool.js';
import { b, cell, erase, rng, show, TableModel, scanShown } from './kit.js';

interface Host {
  fs: FileSystem;
  root: string;
  /** Machine crash of the in-memory filesystem (unsynced bytes lost); absent on Node. */
  crash?: () => void;
  engineOptions?: Partial<EngineOptions>;
}

// Fragment builds (replayed data, compactions) on worker threads must give the same answers.
const pool = new FragmentWorkerPool(2);
afterAll(() => pool.close());

const hosts: [string, () => Promise<Host>][] = [
  [
    'memory',
    async () => {
      const mem = new MemoryFileSystem();
      return { fs: mem, root: '/host', crash: () => mem.crash() };
    },
  ],
  [
    'node',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'kdi-transfer-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new NodeFileSystem(), root };
    },
  ],
  [
    'node (worker threads)',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'kdi-transfer-w-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new NodeFileSystem(), root, engineOptions: { workers: pool } };
    },
  ],
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = 'web';
const U = 'other';
const M = b('m');

async function openEngine(h: Host, name: string, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await Engine.open({
    fs: h.fs,
    dir: `${h.root}/${name}`,
    codec: lz4Codec,
    blockSize: 256,
    autoCompact: false,
    logSegmentBytes: 1 << 20,
    ...h.engineOptions,
    ...extra,
  });
  cleanups.push(() => engine.close().catch(() => {}));
  return engine;
}

const scanAll = (engine: Engine, id: string): Promise<string[]> => scanShown(engine, id, 37);

/** The model's cells with rows in (lower, upper]. */
function inRange(model: TableModel, lower?: Uint8Array, upper?: Uint8Array): string[] {
  return show(model.sorted().filter((c) => (!lower || Buffer.compare(c.row, lower) > 0) && (!upper || Buffer.compare(c.row, upper) <= 0)));
}

/** path → sha256 of every file under `dir` (empty when it does not exist). */
async function checksums(fs: FileSystem, dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of await fs.list(d)) {
      const p = `${d}/${name}`;
      if ((await fs.stat(p)).isDirectory) await walk(p);
      else
        out.set(
          p,
          createHash('sha256')
            .update(await fs.readFile(p))
            .digest('hex'),
        );
    }
  };
  if (await fs.exists(dir)) await walk(dir);
  return out;
}

/** The engine's manifest bytes, or null before its first save. */
async function manifestOf(h: Host, name: string): Promise<Buffer | null> {
  const path = `${h.root}/${name}/MANIFEST`;
  return (await h.fs.exists(path)) ? Buffer.from(await h.fs.readFile(path)) : null;
}

async function failure(p: Promise<unknown>): Promise<StorageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isStorageError(e)) throw new Error(`expected a StorageError, got ${String(e)}`);
  return e;
}

/**
 * Engine A with tablets a1 (…, m] and a2 (m, …) of T and one tablet of U,
 * random writes to all of them (same rows and columns in T and U), some
 * serialized and compacted, the rest only in A's log; then A dies. Returns
 * the model of T, A's fragment lists for a2 and A's log directory.
 */
async function writeAndKillA(h: Host, seed: number) {
  const a = await openEngine(h, 'A');
  await a.createTablet({ id: 'a1', table: T, upperInclusive: M });
  await a.createTablet({ id: 'a2', table: T, lowerExclusive: M });
  await a.createTablet({ id: 'u', table: U });
  const model = new TableModel();
  const r = rng(seed);
  let serial = 0;
  let lastTxn = 0;
  const batch = (): Cell[] =>
    Array.from({ length: 1 + Math.floor(r() * 8) }, () => {
      const row = String.fromCharCode(97 + Math.floor(r() * 26)) + Math.floor(r() * 5);
      const col = `f:${Math.floor(r() * 3)}`;
      const ts = Math.floor(r() * 3);
      return r() < 0.2 ? erase(row, col, ts) : cell(row, col, ts, `v${serial++}`);
    });
  for (let i = 0; i < 60; i++) {
    const cells = batch();
    lastTxn = await a.apply(T, cells);
    model.apply(cells);
    await a.apply(
      U,
      batch().map((c) => ({ ...c, value: c.value && b('U-VALUE') })),
    );
    if (i === 20 || i === 35) await a.serialize();
    if (i === 36) await a.compactTablet('a2', { full: true });
  }
  // Unsynced, then synced by a later sync: acknowledged too.
  const late = [cell('n0', 'f:late', 5, 'unsynced-then-synced')];
  await a.apply(T, late, { sync: false });
  lastTxn = await a.sync();
  model.apply(late);
  expect(a.memoryBytes()).toBeGreaterThan(0); // part of the data lives only in the log
  const fragments = a.tabletFragments('a2');
  for (const list of Object.values(fragments)) for (const p of list) expect(p.startsWith(`${h.root}/A/`)).toBe(true);
  const logDir = a.logDirectory;
  expect(logDir).toBe(`${h.root}/A/log`);
  if (h.crash) h.crash();
  else await a.close(); // no serialization: the log part stays only in the log
  return { model, fragments, logDir, lastTxn };
}

describe.each(hosts)('tablet transfer on the %s filesystem', (_name, makeHost) => {
  it('B loads A’s tablet from A’s fragments and log: exactly the acknowledged rows of its range; A’s files untouched, even after B compacts', async () => {
    const h = await makeHost();
    const { model, fragments, logDir, lastTxn } = await writeAndKillA(h, 7);
    const before = await checksums(h.fs, `${h.root}/A`);
    // B's clock is far behind A's: the load must still put the floor above A's txns.
    const engB = await openEngine(h, 'B', { clock: new ManualClock({ wallMicros: 1 }) });
    const loaded = await engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] });
    expect(loaded.replayedCells).toBeGreaterThan(0);
    const want = inRange(model, M);
    expect(want.length).toBeGreaterThan(20);
    expect(await scanAll(engB, 'a2')).toEqual(want);
    // The config to write: A's fragments, then this engine's replay fragment, as absolute paths.
    const chain = loaded.fragments.default!;
    expect(chain.slice(0, -1)).toEqual(fragments.default);
    expect(chain.at(-1)!.startsWith(`${h.root}/B/tables/${T}/a2/default/`)).toBe(true);
    expect(engB.tabletFragments('a2')).toEqual(loaded.fragments);

    // Old txns conflict; a fresh read-modify-write goes through at once.
    const conflict = await failure(engB.apply(T, [cell('x1', 'f:0', 9, 'rmw')], { commitMaxTxn: lastTxn }));
    expect(conflict.kind).toBe('aborted');
    const read = await engB.scan('a2', { rows: [{ lower: { value: b('x1'), inclusive: true }, upper: { value: b('x1'), inclusive: true } }] });
    await engB.apply(T, [cell('x1', 'f:0', 9, 'rmw')], { commitMaxTxn: read.scanTxn });
    model.apply([cell('x1', 'f:0', 9, 'rmw')]);

    await engB.serialize();
    await engB.compactTablet('a2', { full: true });
    await engB.idle();
    expect(await scanAll(engB, 'a2')).toEqual(inRange(model, M));
    for (const p of engB.tabletFragments('a2').default!) expect(p.startsWith(`${h.root}/B/`)).toBe(true);
    // A reopened B names A's files by absolute path until the compaction; after it, only its own.
    await engB.close();
    const again = await openEngine(h, 'B');
    expect(await scanAll(again, 'a2')).toEqual(inRange(model, M));
    // Dropping it deletes B's own files only.
    await again.dropTablet('a2');
    await again.idle();
    expect([...(await checksums(h.fs, `${h.root}/B/tables`)).keys()]).toEqual([]);
    expect(await checksums(h.fs, `${h.root}/A`)).toEqual(before);
  });

  it('unload from B, then C loads from B’s fragments alone; B restarting keeps the handed-off files', async () => {
    const h = await makeHost();
    const { model, fragments, logDir } = await writeAndKillA(h, 8);
    const engB = await openEngine(h, 'B');
    await engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] });
    const more = [cell('p1', 'f:0', 7, 'written-on-B'), erase('q2', 'f:1', 1)];
    await engB.apply(T, more);
    model.apply(more);

    // An apply racing the unload either lands (and travels) or is refused; later ones are refused.
    const racing = engB.apply(T, [cell('r0', 'f:race', 1, 'race')]).then(
      () => true,
      (e: unknown) => {
        expect(String(e)).toMatch(/is unloading/);
        return false;
      },
    );
    await new Promise((res) => setImmediate(res));
    const unloading = engB.unloadTablet('a2');
    // Issued before the unload's first wait: all three meet a tablet marked unloading.
    const [refused, twice, split] = await Promise.all([
      failure(engB.apply(T, [cell('s0', 'f:0', 1, 'refused')])),
      failure(engB.unloadTablet('a2')),
      failure(engB.splitTablet('a2', b('s'), 'x', 'y')),
    ]);
    expect(refused.kind).toBe('invalid-argument');
    expect(refused.message).toMatch(/tablet a2 of table web .*is unloading/);
    expect(twice.message).toMatch(/tablet a2 is already unloading/);
    expect(split.message).toMatch(/tablet a2 is unloading/);
    if (await racing) model.apply([cell('r0', 'f:race', 1, 'race')]);
    const { fragments: handed } = await unloading;
    expect(engB.tabletIds()).toEqual([]);
    expect(await failure(engB.apply(T, [cell('s0', 'f:0', 1, 'x')]))).toMatchObject({ kind: 'not-found' });

    // B restarts: files it handed off are not orphans.
    await engB.close();
    const b2 = await openEngine(h, 'B');
    for (const list of Object.values(handed)) for (const p of list) expect(await h.fs.exists(p)).toBe(true);

    const engC = await openEngine(h, 'C');
    const loaded = await engC.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments: handed });
    expect(loaded.replayedCells).toBe(0);
    expect(loaded.fragments).toEqual(handed);
    expect(await scanAll(engC, 'a2')).toEqual(inRange(model, M));
    await b2.close();
  });

  it('a split half unloaded keeps the shared files alive while the other half compacts them away', async () => {
    const h = await makeHost();
    const { model, fragments, logDir } = await writeAndKillA(h, 9);
    const engB = await openEngine(h, 'B');
    await engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] });
    await engB.splitTablet('a2', b('s'), 'low', 'high');
    const { fragments: low } = await engB.unloadTablet('low');
    await engB.compactTablet('high', { full: true });
    await engB.idle();
    for (const list of Object.values(low)) for (const p of list) expect(await h.fs.exists(p)).toBe(true);
    const engC = await openEngine(h, 'C');
    await engC.loadTablet({ id: 'low', table: T, lowerExclusive: M, upperInclusive: b('s'), fragments: low });
    expect(await scanAll(engC, 'low')).toEqual(inRange(model, M, b('s')));
    expect(await scanAll(engB, 'high')).toEqual(inRange(model, b('s')));
  });

  it('a missing or corrupt fragment fails the load cleanly: no tablet, manifest unchanged, a correct retry works', async () => {
    const h = await makeHost();
    const { model, fragments, logDir } = await writeAndKillA(h, 10);
    const engB = await openEngine(h, 'B');
    await engB.createTablet({ id: 'mine', table: U });
    const before = await manifestOf(h, 'B');
    const filesBefore = await checksums(h.fs, `${h.root}/B/tables`);

    const missing = `${h.root}/A/tables/${T}/a2/default/99999999.frag`;
    const e1 = await failure(engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments: { default: [...fragments.default!, missing] }, replayLogs: [logDir] }));
    expect(e1.kind).toBe('not-found');
    expect(e1.message).toContain(missing);
    expect(e1.path).toBe(missing);

    // A damaged copy of one of A's fragments (A's own file stays intact).
    const good = await h.fs.readFile(fragments.default![0]!);
    const bad = Buffer.from(good);
    bad[bad.length - 3] = bad[bad.length - 3]! ^ 0xff;
    const copy = `${h.root}/elsewhere/broken.frag`;
    await h.fs.mkdir(`${h.root}/elsewhere`);
    await h.fs.writeFileAtomic(copy, bad);
    const e2 = await failure(engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments: { default: [copy] }, replayLogs: [logDir] }));
    expect(e2.kind).toBe('corruption');
    expect(e2.message).toContain(copy);

    // Bad requests: every one names what to fix.
    const bads: [Parameters<Engine['loadTablet']>[0], RegExp][] = [
      [{ id: 'a2', table: T, lowerExclusive: M, fragments: { nosuch: 'x' as unknown as string[] } }, /fragments\["nosuch"\] must be a list of paths/],
      [{ id: 'a2', table: T, lowerExclusive: M, replayLogs: ['relative/log'] }, /replayLogs\[0\] must be an absolute/],
      [{ id: 'a2', table: T, lowerExclusive: M, replayLogs: [`${h.root}/no/such/log`] }, /log directory .* does not exist/],
      [{ id: 'a2', table: T, lowerExclusive: M, fragments: { default: ['../A/x.frag'] } }, /give it as an absolute path/],
      [{ id: 'a2', table: T, lowerExclusive: M, fragments: { default: [missing, missing] } }, /listed twice/],
      [{ id: 'mine', table: T }, /tablet mine already exists/],
      [{ id: 'a9', table: U, upperInclusive: M }, /overlaps tablet mine/],
    ];
    for (const [def, msg] of bads) expect((await failure(engB.loadTablet(def))).message).toMatch(msg);

    await engB.idle();
    expect(engB.tabletIds()).toEqual(['mine']);
    expect(await manifestOf(h, 'B')).toEqual(before);
    expect(await checksums(h.fs, `${h.root}/B/tables`)).toEqual(filesBefore);
    // Nothing was reserved or left half-open: the right request now succeeds.
    await engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] });
    expect(await scanAll(engB, 'a2')).toEqual(inRange(model, M));
  });

  it('a corrupt record in the middle of the foreign log refuses the load; a torn tail is its end and stays as it is', async () => {
    const h = await makeHost();
    const { model, fragments, logDir } = await writeAndKillA(h, 11);
    const seg = segmentPath(logDir, (await listSegments(h.fs, logDir)).at(-1)!);
    const original = Buffer.from(await h.fs.readFile(seg));
    expect(original.length).toBeGreaterThan(200);

    // Flip a payload byte of the segment's first record: valid records follow it.
    const damaged = Buffer.from(original);
    damaged[40] = damaged[40]! ^ 0x40;
    await h.fs.writeFileAtomic(seg, damaged);
    const engB = await openEngine(h, 'B');
    const manifestBefore = await manifestOf(h, 'B');
    const e = await failure(engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] }));
    expect(e.kind).toBe('corruption');
    expect(e.message).toContain(seg);
    expect(engB.tabletIds()).toEqual([]);
    await engB.idle();
    expect(await manifestOf(h, 'B')).toEqual(manifestBefore);
    expect(await checksums(h.fs, `${h.root}/B/tables`)).toEqual(new Map());
    expect(Buffer.from(await h.fs.readFile(seg)).equals(damaged)).toBe(true);

    // A torn tail: the start of a record that was never completed (never acknowledged).
    const torn = Buffer.concat([original, original.subarray(0, 37)]);
    await h.fs.writeFileAtomic(seg, torn);
    const loaded = await engB.loadTablet({ id: 'a2', table: T, lowerExclusive: M, fragments, replayLogs: [logDir] });
    expect(loaded.replayedCells).toBeGreaterThan(0);
    expect(await scanAll(engB, 'a2')).toEqual(inRange(model, M));
    expect(Buffer.from(await h.fs.readFile(seg)).equals(torn)).toBe(true);
  });

  it('legacy fragments left by a schema change travel under LEGACY_FRAGMENTS and keep their place', async () => {
    const h = await makeHost();
    const engB = await openEngine(h, 'B');
    await engB.createTablet({ id: 't', table: T });
    const model = new TableModel();
    const put = async (cells: Cell[]) => {
      await engB.apply(T, cells);
      model.apply(cells);
    };
    await put([cell('r1', 'f:a', 1, 'old-f'), cell('r1', 'g:a', 1, 'old-g'), cell('r2', 'f:b', 1, 'gone')]);
    await engB.serialize();
    const groups = [
      { name: 'fs', families: ['f'] },
      { name: 'rest', families: '*' as const },
    ];
    await engB.setTableSchema(T, groups);
    // Newer than the legacy data: must still win after the move.
    await put([cell('r1', 'f:a', 1, 'new-f'), erase('r2', 'f:b', 1), cell('r3', 'g:c', 2, 'later')]);
    await engB.serialize();
    const lists = engB.tabletFragments('t');
    expect(lists[LEGACY_FRAGMENTS]).toHaveLength(1);
    const { fragments: handed } = await engB.unloadTablet('t');
    expect(handed).toEqual(lists);

    const engC = await openEngine(h, 'C');
    const loaded = await engC.loadTablet({ id: 't', table: T, groups, fragments: handed });
    expect(loaded.fragments).toEqual(handed);
    expect(await scanAll(engC, 't')).toEqual(show(model.sorted()));
    await engC.compactAll(); // repartitions the legacy fragment into the groups
    expect(engC.tabletFragments('t')[LEGACY_FRAGMENTS]).toBeUndefined();
    expect(await scanAll(engC, 't')).toEqual(show(model.sorted()));
  });
  it('fragments of a group the schema no longer has load as legacy (the schema changed while the tablet was elsewhere)', async () => {
    const h = await makeHost();
    const engB = await openEngine(h, 'B');
    await engB.createTablet({ id: 't', table: T });
    const model = new TableModel();
    const cells = [cell('r1', 'f:a', 1, 'in-default'), cell('r2', 'g:b', 1, 'also')];
    await engB.apply(T, cells);
    model.apply(cells);
    await engB.serialize();
    const newer = [cell('r1', 'f:a', 1, 'newer-in-default')];
    await engB.apply(T, newer);
    model.apply(newer);
    await engB.serialize();
    const { fragments: handed } = await engB.unloadTablet('t');
    expect(Object.keys(handed)).toEqual(['default']);

    // The master set a new schema meanwhile: no group is called "default" any more.
    const groups = [
      { name: 'text', families: ['f'] },
      { name: 'rest', families: '*' as const },
    ];
    const engC = await openEngine(h, 'C');
    const loaded = await engC.loadTablet({ id: 't', table: T, groups, fragments: handed });
    expect(loaded.fragments[LEGACY_FRAGMENTS]).toEqual(handed['default']);
    expect(await scanAll(engC, 't')).toEqual(show(model.sorted()));
    await engC.compactAll();
    expect(engC.tabletFragments('t')[LEGACY_FRAGMENTS]).toBeUndefined();
    expect(await scanAll(engC, 't')).toEqual(show(model.sorted()));
  });
});
