// The engine's side of a tablet migration (DESIGN §10), on the in-memory
// and the Node filesystem: the source pins a tablet's fragments (they
// outlive compaction and the tablet's drop while pinned), freezes its
// writes (applies wait, bounded, then fail retryably; applies already
// admitted finish first), and hands over its memory cells and hot blocks;
// the target adopts the copied files from a temp dir inside its engine
// directory, warms its cache and applies the memory cells through its
// log. The moved tablet reads exactly like the source's, and survives a
// crash of the target.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { BlockCache } from '../src/cache/block-cache.js';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions, type TabletPin } from '../src/engine/engine.js';
import { isStorageError, type StorageError } from '../src/errors.js';
import type { FileSystem } from '../src/fs/file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { b, cell, erase, rng, scanShown, show, TableModel } from './kit.js';

interface Host {
  fs: FileSystem;
  root: string;
  crash?: () => void;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

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
      const root = await mkdtemp(join(tmpdir(), 'kdi-migration-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new NodeFileSystem(), root };
    },
  ],
];

const T = 'web';
const M = b('m');

async function openEngine(h: Host, name: string, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await Engine.open({ fs: h.fs, dir: `${h.root}/${name}`, codec: lz4Codec, blockSize: 256, autoCompact: false, logSegmentBytes: 1 << 20, ...extra });
  cleanups.push(() => engine.close().catch(() => {}));
  return engine;
}

async function failure(p: Promise<unknown>): Promise<StorageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isStorageError(e)) throw new Error(`expected a StorageError, got ${String(e)}`);
  return e;
}

async function readAll(pin: TabletPin, path: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of pin.read(path, 100)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Random writes to tablets s1 (…, m] and s2 (m, …) of T, some serialized (two fragments of s2), the rest in memory. */
async function fill(engine: Engine, seed: number): Promise<TableModel> {
  const model = new TableModel();
  const r = rng(seed);
  let serial = 0;
  for (let i = 0; i < 60; i++) {
    const cells: Cell[] = Array.from({ length: 1 + Math.floor(r() * 8) }, () => {
      const row = String.fromCharCode(97 + Math.floor(r() * 26)) + Math.floor(r() * 5);
      const col = `f:${Math.floor(r() * 3)}`;
      const ts = Math.floor(r() * 3);
      return r() < 0.2 ? erase(row, col, ts) : cell(row, col, ts, `v${serial++}`);
    });
    await engine.apply(T, cells);
    model.apply(cells);
    if (i === 20 || i === 40) await engine.serialize();
  }
  return model;
}

const above = (model: TableModel, lower: Uint8Array) => show(model.sorted().filter((c) => Buffer.compare(c.row, lower) > 0));

describe.each(hosts)('tablet migration in the engine on the %s filesystem', (_name, makeHost) => {
  it('a pin keeps a tablet’s files readable through compaction and the tablet’s drop; released, they go', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    await fill(src, 1);
    const pin = src.pinTablet('s2');
    expect(pin.lists.default!.length).toBe(2);
    expect(pin.files.map((f) => f.path)).toEqual(pin.lists.default);
    const before = await Promise.all(pin.files.map((f) => h.fs.readFile(f.path)));
    pin.files.forEach((f, i) => expect(f.bytes).toBe(before[i]!.length));

    await src.compactTablet('s2', { full: true });
    expect(src.tabletFragments('s2').default).not.toEqual(pin.lists.default);
    await src.dropTablet('s2');
    await src.idle();
    for (const [i, f] of pin.files.entries()) {
      expect(await h.fs.exists(f.path)).toBe(true);
      expect(await readAll(pin, f.path)).toEqual(Buffer.from(before[i]!));
    }
    expect(src.isFragmentInUse(pin.files[0]!.path)).toBe(true);
    await expect(failure(readAll(pin, `${h.root}/S/MANIFEST`))).resolves.toMatchObject({ kind: 'invalid-argument' });

    pin.release();
    pin.release(); // idempotent
    await src.idle();
    for (const f of pin.files) expect(await h.fs.exists(f.path)).toBe(false);
  });

  it('frozen writes wait, bounded, and fail retryably; other tablets are not held; thaw lets them through', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    // An apply that has its txn when the freeze begins (waiting for its log write) is in memory once freezeWrites resolves.
    const admitted = src.apply(T, [cell('x', 'f:a', 1, 'before')]);
    await new Promise((r) => setImmediate(r));
    const freeze = await src.freezeWrites('s2', 60_000);
    expect(show(src.tabletMemoryCells('s2'))).toEqual(['x f:a@1=before']);
    await admitted;
    await expect(failure(src.freezeWrites('s2', 10))).resolves.toMatchObject({ kind: 'invalid-argument' });
    await expect(failure(src.splitTablet('s2', b('t'), 'lo', 'hi'))).resolves.toMatchObject({ kind: 'invalid-argument' });

    let waitedDone = false;
    const waiting = src.apply(T, [cell('y', 'f:a', 1, 'during')]).then(() => (waitedDone = true));
    await src.apply(T, [cell('a', 'f:a', 1, 'other tablet')]); // s1: not frozen
    await new Promise((r) => setTimeout(r, 20));
    expect(waitedDone).toBe(false);
    expect(show((await src.scan('s2', {})).cells)).toEqual(['x f:a@1=before']);
    freeze.thaw();
    await waiting;
    expect(show((await src.scan('s2', {})).cells)).toEqual(['x f:a@1=before', 'y f:a@1=during']);

    // Bounded: a freeze that never ends fails the write 'unavailable' with a retry hint.
    const stuck = await src.freezeWrites('s2', 30);
    const e = await failure(src.apply(T, [cell('z', 'f:a', 1, 'late')]));
    expect(e.kind).toBe('unavailable');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    // The tablet leaves while frozen: waiters find it gone.
    const orphan = failure(src.apply(T, [cell('z', 'f:a', 1, 'orphan')]));
    await src.dropTablet('s2');
    expect((await orphan).kind).toBe('invalid-argument');
    stuck.thaw(); // after the drop: a no-op
    expect(show((await src.scan('s1', {})).cells)).toEqual(['a f:a@1=other tablet']);
  });

  it('a tablet moved through pin, freeze, memory cells, hot blocks and adopt reads exactly as at the source, and survives the target’s crash', async () => {
    const h = await makeHost();
    const cacheS = new BlockCache({ capacityBytes: 1 << 20 });
    const cacheD = new BlockCache({ capacityBytes: 1 << 20 });
    const src = await openEngine(h, 'S', { cache: cacheS });
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    const model = await fill(src, 2);
    const want = above(model, M);
    expect(src.tabletMemoryCells('s2').length).toBeGreaterThan(0); // part lives in memory only
    expect(src.tabletMemoryCells('s2').some((c) => c.value === null)).toBe(true); // erasures travel too
    expect(await scanShown(src, 's2')).toEqual(want); // warms S's cache
    const hot = src.hotBlocks('s2');
    expect(hot.length).toBeGreaterThan(0);

    // copy: the files as pinned now, into D's temp dir.
    const tmp = `${h.root}/D/migrations/m1.tmp`;
    await h.fs.mkdir(tmp);
    const pin1 = src.pinTablet('s2');
    const sent = new Map<string, string>();
    const send = async (pin: TabletPin) => {
      for (const f of pin.files) {
        if (sent.has(f.path)) continue;
        const to = `${tmp}/f${sent.size}.frag`;
        const w = await h.fs.openWrite(to, 'create-new');
        for await (const chunk of pin.read(f.path)) await w.append(chunk);
        await w.sync();
        await w.close();
        sent.set(f.path, to);
      }
    };
    await send(pin1);
    // catch-up: a serialization and a compaction since; more writes.
    await src.apply(T, [cell('q1', 'f:0', 7, 'after copy'), erase('b1', 'f:0', 0)]);
    model.apply([cell('q1', 'f:0', 7, 'after copy'), erase('b1', 'f:0', 0)]);
    await src.serialize();
    await src.compactTablet('s2', { full: true });
    await src.apply(T, [cell('r2', 'f:1', 9, 'in memory at freeze'), erase('z4', 'f:2', 1)]);
    model.apply([cell('r2', 'f:1', 9, 'in memory at freeze'), erase('z4', 'f:2', 1)]);
    const pin2 = src.pinTablet('s2');
    await send(pin2);

    // freeze: the final lists, memory cells and hot blocks in one step.
    const freeze = await src.freezeWrites('s2', 60_000);
    const pin3 = src.pinTablet('s2');
    const memory = src.tabletMemoryCells('s2');
    expect(await scanShown(src, 's2')).toEqual(above(model, M));
    const hotNow = src.hotBlocks('s2');
    await send(pin3);
    const files = Object.fromEntries(Object.entries(pin3.lists).map(([g, paths]) => [g, paths.map((p) => sent.get(p)!)]));

    const dst = await openEngine(h, 'D', { cache: cacheD });
    const adopted = await dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, files });
    for (const list of Object.values(adopted.fragments)) for (const p of list) expect(p.startsWith(`${h.root}/D/tables/${T}/s2/`)).toBe(true);
    // Received files were moved, not copied; the ones the final lists do not name are the caller's to delete.
    for (const p of Object.values(files).flat()) expect(await h.fs.exists(p)).toBe(false);
    const byTarget = new Map(Object.values(pin3.lists).flatMap((paths, i) => paths.map((p, j) => [p, Object.values(adopted.fragments)[i]![j]!] as const)));
    const warmed = await dst.warmBlocks(
      's2',
      hotNow.filter((x) => byTarget.has(x.path)).map((x) => ({ path: byTarget.get(x.path)!, block: x.block })),
    );
    expect(cacheD.stats.entries).toBe(warmed);
    // Warming them again (a commit after its preload) reads nothing: they are cached.
    expect(
      await dst.warmBlocks(
        's2',
        hotNow.filter((x) => byTarget.has(x.path)).map((x) => ({ path: byTarget.get(x.path)!, block: x.block })),
      ),
    ).toBe(0);
    await dst.startLogSegment();
    if (memory.length > 0) await dst.apply(T, memory);
    const moved = above(model, M);
    expect(await scanShown(dst, 's2')).toEqual(moved);
    // The cells written while frozen are not lost at the source either (it would serve again on abort).
    freeze.thaw();
    for (const p of [pin1, pin2, pin3]) p.release();
    expect(await scanShown(src, 's2')).toEqual(moved);

    // The target crashes: manifest and log bring the tablet back whole.
    await dst.sync();
    if (h.crash) h.crash();
    else await dst.close();
    const again = await openEngine(h, 'D');
    expect(again.tabletIds()).toEqual(['s2']);
    expect(await scanShown(again, 's2')).toEqual(moved);
  });

  it('a staged adopt (preload) takes the final lists at commit: held files reused, new ones adopted, replaced ones deleted', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    const model = await fill(src, 4);
    const tmp = `${h.root}/D/migrations/m3.tmp`;
    await h.fs.mkdir(tmp);
    const sent = new Map<string, string>();
    const send = async (pin: TabletPin) => {
      for (const f of pin.files) {
        if (sent.has(f.path)) continue;
        const to = `${tmp}/f${sent.size}.frag`;
        await h.fs.writeFileAtomic(to, await readAll(pin, f.path));
        sent.set(f.path, to);
      }
    };
    const pin1 = src.pinTablet('s2');
    await send(pin1);
    const dst = await openEngine(h, 'D', { autoCompact: true });
    const staged = await dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, staged: true, files: { default: pin1.lists.default!.map((p) => sent.get(p)!) } });
    const adoptedOf = new Map(pin1.lists.default!.map((p, i) => [p, staged.fragments.default![i]!]));
    // Meanwhile at the source: a compaction of the first two files, a serialization, writes left in memory.
    await src.compactTablet('s2', { full: true });
    const more = [
      cell('s9', 'f:0', 5, 'late'),
      erase(
        show(model.sorted())
          .find((l) => l > 'n')!
          .split(' ')[0]!,
        'f:0',
        0,
      ),
    ];
    await src.apply(T, more);
    model.apply(more);
    await src.serialize();
    const pin2 = src.pinTablet('s2');
    await send(pin2);
    // The final lists: held (adopted) paths where D has them, received paths for the rest.
    const final = { default: pin2.lists.default!.map((p) => adoptedOf.get(p) ?? sent.get(p)!) };
    // Taking the same lists again changes nothing.
    const staysPut = { default: staged.fragments.default! };
    expect(await dst.readoptTablet('s2', staysPut)).toEqual(staged.fragments);
    const lists = await dst.readoptTablet('s2', final);
    dst.releaseAdopted('s2');
    expect(lists.default!.length).toBe(pin2.lists.default!.length);
    for (const p of lists.default!) expect(p.startsWith(`${h.root}/D/tables/${T}/s2/`)).toBe(true);
    expect(await scanShown(dst, 's2')).toEqual(await scanShown(src, 's2'));
    await dst.idle();
    // Adopted files the final lists dropped are deleted (this engine owns them).
    for (const p of staged.fragments.default!) expect(await h.fs.exists(p)).toBe(lists.default!.includes(p));
    await expect(failure(dst.readoptTablet('s2', final))).resolves.toMatchObject({ kind: 'invalid-argument' }); // released: not staged any more
    for (const p of [pin1, pin2]) p.release();
  });

  it('gated reads wait, bounded, and fail retryably; scanners already open go on; open lets them through; a drop sends them to not-found', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    await src.apply(T, [cell('x', 'f:a', 1, 'one'), cell('y', 'f:a', 1, 'two'), cell('a', 'f:a', 1, 'other tablet')]);
    const early = await src.openScanner('s2', {});
    const gate = src.gateReads('s2', 60_000);
    expect(src.readsGated('s2')).toBe(true);
    expect(() => src.gateReads('s2', 10)).toThrow(/already gated/);
    // A scanner opened before the gate closed reads on; other tablets are not held.
    expect(show((await early.nextBatch(10, 1 << 20)).cells)).toEqual(['x f:a@1=one', 'y f:a@1=two']);
    expect(show((await src.scan('s1', {})).cells)).toEqual(['a f:a@1=other tablet']);
    let waitedDone = false;
    const waiting = src.scan('s2', {}).then((p) => ((waitedDone = true), p));
    const statWaiting = src.readable('s2');
    await new Promise((r) => setTimeout(r, 20));
    expect(waitedDone).toBe(false);
    gate.open();
    gate.open(); // idempotent
    expect(show((await waiting).cells)).toEqual(['x f:a@1=one', 'y f:a@1=two']);
    await statWaiting;
    expect(src.readsGated('s2')).toBe(false);

    // Bounded: a gate that never opens fails the read 'unavailable' with a retry hint.
    src.gateReads('s2', 30);
    const e = await failure(src.scan('s2', {}));
    expect(e.kind).toBe('unavailable');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    // The tablet leaves while gated: waiters find it gone.
    const orphan = failure(src.scan('s2', {}));
    const orphanStat = failure(src.readable('s2'));
    await src.dropTablet('s2');
    expect((await orphan).kind).toBe('not-found');
    expect((await orphanStat).kind).toBe('not-found');
  });

  it('a staged adopt whose commit never began leaves at the next open with its files; once beginPublish ran, it stays', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    const model = await fill(src, 5);
    const pin = src.pinTablet('s2');
    const receive = async (dir: string) => {
      await h.fs.mkdir(dir);
      const files: string[] = [];
      for (const [i, f] of pin.files.entries()) {
        await h.fs.writeFileAtomic(`${dir}/f${i}.frag`, await readAll(pin, f.path));
        files.push(`${dir}/f${i}.frag`);
      }
      return { default: files };
    };
    const fragmentFiles = async (dir: string) => ((await h.fs.exists(dir)) ? await h.fs.list(dir) : []);
    const crash = async (engine: Engine) => {
      await engine.sync();
      if (h.crash) h.crash();
      else await engine.close();
    };

    // Preloaded, never committed: the restart drops it and deletes its files.
    let dst = await openEngine(h, 'D', { publication: true });
    await dst.createTablet({ id: 'other', table: T, upperInclusive: M });
    const staged = await dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, staged: true, files: await receive(`${h.root}/D/migrations/a.tmp`) });
    await dst.publicationSnapshot(); // a publisher's round lists it too (and keeps its files, while it is open)
    const memory = src.tabletMemoryCells('s2');
    await dst.readoptTablet('s2', staged.fragments);
    await dst.apply(T, memory);
    expect(await fragmentFiles(`${h.root}/D/tables/${T}/s2/default`)).not.toEqual([]);
    await crash(dst);
    dst = await openEngine(h, 'D', { publication: true });
    expect(dst.tabletIds()).toEqual(['other']);
    expect(dst.droppedStagedAtOpen).toEqual(['s2']);
    expect(await fragmentFiles(`${h.root}/D/tables/${T}/s2/default`)).toEqual([]);
    expect(dst.publishedTablets().map((p) => p.id)).not.toContain('s2');
    // The same id can be preloaded again.
    const again = await dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, staged: true, files: await receive(`${h.root}/D/migrations/b.tmp`) });
    await dst.readoptTablet('s2', again.fragments);
    await dst.apply(T, memory);
    // The commit's META write is about to name it: from here a restart keeps it, whole.
    await dst.beginPublish('s2');
    await crash(dst);
    dst = await openEngine(h, 'D', { publication: true });
    expect(dst.tabletIds().sort()).toEqual(['other', 's2']);
    expect(dst.droppedStagedAtOpen).toEqual([]);
    expect(await scanShown(dst, 's2')).toEqual(above(model, M));
    pin.release();
  });

  it('delta shipping: the lists after a serialization started past a write tap, plus the tap’s takes applied in rounds, are the whole tablet', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    const model = await fill(src, 5);
    // Writes in flight when the tap opens: recorded, or in memory before it and so in the serialization below.
    const racing = src.apply(T, [cell('n1', 'f:0', 3, 'racing')]);
    model.apply([cell('n1', 'f:0', 3, 'racing')]);
    const tap = src.tapTabletWrites('s2');
    await racing;
    await src.serialize();
    const pin = src.pinTablet('s2');
    const tmp = `${h.root}/D/migrations/m4.tmp`;
    await h.fs.mkdir(tmp);
    const files: string[] = [];
    for (const [i, f] of pin.files.entries()) {
      await h.fs.writeFileAtomic(`${tmp}/f${i}.frag`, await readAll(pin, f.path));
      files.push(`${tmp}/f${i}.frag`);
    }
    const dst = await openEngine(h, 'D');
    await dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, staged: true, files: { default: files } });
    await dst.startLogSegment();
    // Rounds: writes go on at the source (a key set twice with one timestamp, erasures, the other tablet's rows),
    // with a serialization and a compaction between rounds; each round's take is applied at the target.
    const r = rng(6);
    let serial = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 15; i++) {
        const cells: Cell[] = [
          r() < 0.2 ? erase(`q${Math.floor(r() * 4)}`, 'f:0', 1) : cell(`q${Math.floor(r() * 4)}`, 'f:0', 1, `d${serial++}`),
          cell(`a${Math.floor(r() * 4)}`, 'f:0', 1, `other${serial++}`),
        ];
        await src.apply(T, cells);
        model.apply(cells);
      }
      if (round === 1) await src.serialize();
      if (round === 2) await src.compactTablet('s2', { full: true });
      const delta = tap.take();
      expect(delta.every((c) => Buffer.compare(c.row, M) > 0)).toBe(true); // only s2's rows
      if (round === 3) {
        // Applying a round twice changes nothing (cells carry their timestamps).
        await dst.apply(T, delta);
      }
      if (delta.length > 0) await dst.apply(T, delta);
    }
    const freeze = await src.freezeWrites('s2', 60_000);
    const last = tap.take();
    if (last.length > 0) await dst.apply(T, last);
    tap.close();
    dst.releaseAdopted('s2');
    expect(await scanShown(dst, 's2')).toEqual(above(model, M));
    expect(await scanShown(dst, 's2')).toEqual(await scanShown(src, 's2'));
    // A closed tap records nothing more.
    freeze.thaw();
    await src.apply(T, [cell('z9', 'f:0', 1, 'after close')]);
    expect(tap.take()).toEqual([]);
    expect(tap.pendingCells).toBe(0);
    pin.release();
  });

  it('an adopt that fails (a damaged file) leaves no tablet and none of the received files', async () => {
    const h = await makeHost();
    const src = await openEngine(h, 'S');
    await src.createTablet({ id: 's1', table: T, upperInclusive: M });
    await src.createTablet({ id: 's2', table: T, lowerExclusive: M });
    await fill(src, 3);
    const pin = src.pinTablet('s2');
    const tmp = `${h.root}/D/migrations/m2.tmp`;
    await h.fs.mkdir(tmp);
    const received: string[] = [];
    for (const [i, f] of pin.files.entries()) {
      const bytes = Buffer.from(await readAll(pin, f.path));
      if (i === 1) bytes.fill(0, bytes.length - 16); // the footer gone
      await h.fs.writeFileAtomic(`${tmp}/f${i}.frag`, bytes);
      received.push(`${tmp}/f${i}.frag`);
    }
    const dst = await openEngine(h, 'D');
    const e = await failure(dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, files: { default: received } }));
    expect(e.kind).toBe('corruption');
    expect(dst.tabletIds()).toEqual([]);
    await dst.idle();
    expect((await h.fs.exists(`${h.root}/D/tables/${T}/s2/default`)) ? await h.fs.list(`${h.root}/D/tables/${T}/s2/default`) : []).toEqual([]);
    for (const p of received) expect(await h.fs.exists(p)).toBe(false);
    // A path outside the engine directory is refused before anything moves.
    const bad = await failure(dst.adoptTablet({ id: 's2', table: T, lowerExclusive: M, files: { default: [`${h.root}/S/elsewhere.frag`] } }));
    expect(bad.kind).toBe('invalid-argument');
    pin.release();
  });
});
