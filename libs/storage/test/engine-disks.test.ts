// Several disks under one engine (disk-set.ts) and moving a tablet between
// them (disk-migration.ts): placement by free bytes, the high-water mark,
// a disk that runs out of space, the migration's states under concurrent
// writes and scans, its refusals, its failures (back to IDLE, nothing
// changed) and a crash in every state (exactly one copy in use after the
// open, nothing acknowledged lost, no .migrate.tmp left).

import { describe, expect, it } from 'vitest';
import type { Cell } from '@kdi/primitives';
import { BlockCache } from '../src/cache/block-cache.js';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions } from '../src/engine/engine.js';
import type { DiskMigrationState } from '../src/engine/disk-migration.js';
import { manifestFragments, decodeManifest } from '../src/engine/manifest.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import type { FileSystem } from '../src/fs/file-system.js';
import { cell, show } from './kit.js';

const D0 = '/disk0/kdi';
const D1 = '/disk1/kdi';

type Space = Record<string, { capacityBytes: number; freeBytes: number }>;

async function open(fs: FileSystem, space?: Space, more: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.open({
    fs,
    dir: D0,
    disks: [D1],
    codec: lz4Codec,
    blockSize: 512,
    autoCompact: false,
    ...(space && { diskSpace: (dir: string) => space[dir] }),
    ...more,
  });
}

const rows = (prefix: string, n: number, v = 'x') => Array.from({ length: n }, (_, i) => cell(`${prefix}${String(i).padStart(4, '0')}`, 'c', 1, `${v}${prefix}${i}`));

async function all(engine: Engine, id = 't'): Promise<Cell[]> {
  return (await engine.scan(id, {}, { maxCells: 1_000_000 })).cells;
}

/** Every file under `dir` (paths), recursively; with `dirs`, the directories too. */
async function filesUnder(fs: FileSystem, dir: string, dirs = false): Promise<string[]> {
  if (!(await fs.exists(dir))) return [];
  const out: string[] = [];
  for (const e of await fs.list(dir)) {
    const p = `${dir}/${e}`;
    if ((await fs.stat(p)).isDirectory) out.push(...(dirs ? [p] : []), ...(await filesUnder(fs, p, dirs)));
    else out.push(p);
  }
  return out;
}

async function manifestNames(fs: FileSystem): Promise<string[]> {
  const m = decodeManifest(await fs.readFile(`${D0}/MANIFEST`), 'MANIFEST');
  return [...manifestFragments(m)];
}

const onDisk = (names: readonly string[], dir: string) => names.filter((n) => (dir === D0 ? !n.startsWith('/') : n.startsWith(`${dir}/`)));

describe('several disks under one engine', () => {
  it('a new tablet goes to the disk with the most free bytes, and its fragments follow it across a reopen', async () => {
    const mem = new MemoryFileSystem();
    const space: Space = { [D0]: { capacityBytes: 100e9, freeBytes: 30e9 }, [D1]: { capacityBytes: 100e9, freeBytes: 70e9 } };
    const engine = await open(mem, space);
    expect(engine.disks).toEqual([D0, D1]);
    await engine.createTablet({ id: 't', table: 'tb' });
    expect(engine.tabletHomeDisk('t')).toBe(D1);
    await engine.apply('tb', rows('a', 200));
    await engine.serialize();
    const bytes = engine.tabletDiskBytes('t');
    expect(bytes[D0]).toBe(0);
    expect(bytes[D1]).toBeGreaterThan(0);
    expect(onDisk(await manifestNames(mem), D1)).toHaveLength(1);
    // The other disk now has more room: a second tablet goes there; the first keeps its home.
    space[D0] = { capacityBytes: 100e9, freeBytes: 90e9 };
    await engine.createTablet({ id: 'u', table: 'other' });
    expect(engine.tabletHomeDisk('u')).toBe(D0);
    await engine.close();
    const again = await open(mem, space);
    expect(again.tabletHomeDisk('t')).toBe(D1);
    expect(show(await all(again))).toEqual(show(rows('a', 200)));
    await again.close();
  });

  it("the open removes what a crash inside the manifest's atomic write left beside it", async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    await engine.close();
    const w = await mem.openWrite(`${D0}/MANIFEST.tmp-1b8341e03bfc`, 'create-new');
    await w.append(Buffer.from('half a manifest'));
    await w.close();
    const again = await open(mem);
    expect(await mem.list(D0)).not.toContain('MANIFEST.tmp-1b8341e03bfc');
    expect(again.tabletIds()).toEqual(['t']);
    await again.close();
  });

  it("without free-byte figures, placement goes by the engine's own bytes per disk", async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    const first = engine.tabletHomeDisk('t');
    await engine.apply('tb', rows('a', 300));
    await engine.serialize();
    await engine.createTablet({ id: 'u', table: 'other' });
    expect(engine.tabletHomeDisk('u')).not.toBe(first);
    await engine.close();
  });

  it('a disk at its high-water mark takes no new fragments; once below it, it does again', async () => {
    const mem = new MemoryFileSystem();
    const space: Space = { [D0]: { capacityBytes: 1e9, freeBytes: 0.5e9 }, [D1]: { capacityBytes: 1e9, freeBytes: 0.9e9 } };
    const engine = await open(mem, space, { highWaterMark: 0.9 });
    await engine.createTablet({ id: 't', table: 'tb' });
    expect(engine.tabletHomeDisk('t')).toBe(D1);
    space[D1] = { capacityBytes: 1e9, freeBytes: 0.05e9 }; // 95% used
    expect(engine.diskStates().find((d) => d.disk === D1)).toMatchObject({ state: 'high-water' });
    await engine.apply('tb', rows('a', 100));
    await engine.serialize();
    expect(engine.tabletDiskBytes('t')[D0]).toBeGreaterThan(0);
    expect(engine.tabletDiskBytes('t')[D1]).toBe(0);
    space[D1] = { capacityBytes: 1e9, freeBytes: 0.5e9 };
    expect(engine.diskStates().find((d) => d.disk === D1)).toMatchObject({ state: 'ok' });
    await engine.apply('tb', rows('b', 100));
    await engine.serialize();
    expect(engine.tabletDiskBytes('t')[D1]).toBeGreaterThan(0);
    expect(show(await all(engine))).toEqual(show([...rows('a', 100), ...rows('b', 100)]));
    await engine.close();
  });

  it('a disk that runs out of space is marked full and the fragment is written on the other; it recovers once it has room', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    let clockMs = 0;
    const clock = { wallMicros: () => 1_700_000_000_000_000 + clockMs * 1000, monotonicMs: () => clockMs, sleep: async () => {} };
    const engine = await open(fs, undefined, { clock });
    await engine.createTablet({ id: 't', table: 'tb' });
    const home = engine.tabletHomeDisk('t');
    const other = home === D0 ? D1 : D0;
    fs.addRule({ op: 'append', path: new RegExp(`^${home}/.*\\.frag\\.tmp$`), times: Number.POSITIVE_INFINITY, error: 'ENOSPC', partial: true });
    await engine.apply('tb', rows('a', 100));
    await engine.serialize();
    expect(engine.diskStates().find((d) => d.disk === home)).toMatchObject({ state: 'full' });
    expect(engine.tabletDiskBytes('t')[other]).toBeGreaterThan(0);
    expect((await filesUnder(mem, home)).filter((p) => p.endsWith('.tmp'))).toEqual([]);
    fs.clearRules();
    clockMs += 10_000;
    expect(engine.diskStates().find((d) => d.disk === home)).toMatchObject({ state: 'ok' });
    await engine.apply('tb', rows('b', 100));
    await engine.serialize();
    expect(engine.tabletDiskBytes('t')[home]).toBeGreaterThan(0);
    expect(show(await all(engine))).toEqual(show([...rows('a', 100), ...rows('b', 100)]));
    await engine.close();
  });
});

describe('disk migration', () => {
  /** An engine with tablet t on D0 holding `files` fragments. */
  async function withTablet(fs: FileSystem, files = 3, more: Partial<EngineOptions> = {}) {
    const space: Space = { [D0]: { capacityBytes: 1e9, freeBytes: 0.8e9 }, [D1]: { capacityBytes: 1e9, freeBytes: 0.5e9 } };
    const engine = await open(fs, space, more);
    await engine.createTablet({ id: 't', table: 'tb' });
    expect(engine.tabletHomeDisk('t')).toBe(D0);
    const written: Cell[] = [];
    for (let i = 0; i < files; i++) {
      const batch = rows(`f${i}-`, 150);
      await engine.apply('tb', batch);
      written.push(...batch);
      await engine.serialize();
    }
    return { engine, written, space };
  }

  it('moves every file of the tablet through MOVING, MOVED, CLOSED to COMPLETED while writes and scans go on', async () => {
    const mem = new MemoryFileSystem();
    const seen: DiskMigrationState[] = [];
    let engineRef: Engine | undefined;
    const during: { state: DiskMigrationState; wrote: boolean; scanned: boolean }[] = [];
    let n = 0;
    const model = new Map<string, string>();
    const { engine, written } = await withTablet(mem, 3, {
      onDiskMigrationState: async (_t, state) => {
        seen.push(state);
        // In every state a write is acknowledged and a scan sees everything acknowledged.
        const c = cell(`w${String(n++).padStart(4, '0')}`, 'c', 1, `during-${state}`);
        await engineRef!.apply('tb', [c]);
        model.set(show([c])[0]!, '');
        const got = new Set(show(await all(engineRef!)));
        during.push({ state, wrote: true, scanned: [...model.keys()].every((k) => got.has(k)) });
      },
    });
    engineRef = engine;
    for (const c of written) model.set(show([c])[0]!, '');
    // Writes and serializations keep running during the copy: their fragments are copied in later rounds.
    let stop = false;
    const writer = (async () => {
      let i = 0;
      while (!stop) {
        const c = cell(`bg${String(i++).padStart(5, '0')}`, 'c', 1, 'bg');
        await engine.apply('tb', [c]);
        model.set(show([c])[0]!, '');
        if (i % 50 === 0) await engine.serialize();
        await new Promise((r) => setImmediate(r));
      }
    })();
    const first = engine.startDiskMigration('t', D0, '1');
    expect(first).toMatchObject({ tablet: 't', from: D0, to: D1, state: 'MOVING' });
    const end = await engine.awaitDiskMigration('t');
    stop = true;
    await writer;
    expect(end).toMatchObject({ state: 'COMPLETED' });
    expect(end?.error).toBeUndefined();
    expect(end!.bytesCopied).toBe(end!.bytes);
    expect(seen).toEqual(['MOVING', 'MOVED', 'CLOSED', 'COMPLETED']);
    expect(during.every((d) => d.wrote && d.scanned)).toBe(true);
    expect(engine.tabletHomeDisk('t')).toBe(D1);
    expect(engine.tabletDiskBytes('t')[D0]).toBe(0);
    // Nothing lost or doubled.
    const got = show(await all(engine));
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual([...model.keys()].sort());
    await engine.idle();
    // Exactly one copy: the old files are gone, no temp directory is left, the manifest names only D1 files.
    expect((await filesUnder(mem, `${D0}/tables`)).filter((p) => p.endsWith('.frag'))).toEqual([]);
    expect((await filesUnder(mem, D1, true)).filter((p) => p.includes('.migrate.tmp'))).toEqual([]);
    const names = await manifestNames(mem);
    expect(onDisk(names, D0)).toEqual([]);
    await engine.close();
    const again = await open(mem);
    expect(show(await all(again)).sort()).toEqual([...model.keys()].sort());
    await again.close();
  });

  it('the copies start warm: blocks cached for the old files are cached for the new ones', async () => {
    const mem = new MemoryFileSystem();
    const cache = new BlockCache({ capacityBytes: 64 << 20 });
    const { engine, written } = await withTablet(mem, 3, { cache });
    expect(show(await all(engine))).toEqual(show(written)); // every block read once
    engine.startDiskMigration('t', D0, D1);
    expect(await engine.awaitDiskMigration('t')).toMatchObject({ state: 'COMPLETED' });
    const misses = cache.stats.misses;
    expect(show(await all(engine))).toEqual(show(written));
    expect(cache.stats.misses).toBe(misses);
    await engine.close();
  });

  it('refuses bad requests, naming the problem, before anything starts', async () => {
    const mem = new MemoryFileSystem();
    const { engine, space } = await withTablet(mem, 1);
    await engine.createTablet({ id: 'empty', table: 'other' });
    const emptyHome = engine.tabletHomeDisk('empty');
    const notHome = emptyHome === D0 ? D1 : D0;
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return { kind: (e as { kind: string }).kind, reason: (e as { details?: { reason?: string } }).details?.reason, message: (e as Error).message };
      }
      return undefined;
    };
    expect(reason(() => engine.startDiskMigration('nope', D0, D1))).toMatchObject({ kind: 'not-found' });
    expect(reason(() => engine.startDiskMigration('t', D0, D0))).toMatchObject({ kind: 'invalid-argument', reason: 'same-disk' });
    expect(reason(() => engine.startDiskMigration('t', '0', D0))).toMatchObject({ reason: 'same-disk' });
    expect(reason(() => engine.startDiskMigration('t', D0, '/elsewhere'))).toMatchObject({ reason: 'unknown-disk', message: expect.stringContaining(D1) });
    expect(reason(() => engine.startDiskMigration('t', '7', D1))).toMatchObject({ reason: 'unknown-disk' });
    expect(reason(() => engine.startDiskMigration('empty', notHome, emptyHome))).toMatchObject({ reason: 'not-on-disk' });
    const roomy = space[D1]!;
    space[D1] = { capacityBytes: 1e9, freeBytes: 0.05e9 };
    expect(reason(() => engine.startDiskMigration('t', D0, D1))).toMatchObject({ reason: 'target-full', message: expect.stringContaining('high-water') });
    space[D1] = roomy;
    engine.startDiskMigration('t', D0, D1);
    expect(reason(() => engine.startDiskMigration('t', D0, D1))).toMatchObject({ reason: 'already-migrating' });
    expect(reason(() => engine.pinTablet('t'))).toMatchObject({ reason: 'disk-migrating' });
    await expect(engine.splitTablet('t', Buffer.from('f0-0100'), 'l', 'h')).rejects.toMatchObject({ details: { reason: 'disk-migrating' } });
    await engine.awaitDiskMigration('t');
    // An empty tablet moves its home only.
    engine.startDiskMigration('empty', emptyHome, notHome);
    expect(await engine.awaitDiskMigration('empty')).toMatchObject({ state: 'COMPLETED', files: 0 });
    expect(engine.tabletHomeDisk('empty')).toBe(notHome);
    await engine.close();
  });

  it('a target disk that runs out of space ends the migration in IDLE with the reason; the tablet is untouched and .tmp removed', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const { engine, written } = await withTablet(fs, 3);
    fs.addRule({ op: 'append', path: /\.migrate\.tmp\//, nth: 2, error: 'ENOSPC', partial: true });
    engine.startDiskMigration('t', D0, D1);
    const end = await engine.awaitDiskMigration('t');
    expect(end).toMatchObject({ state: 'IDLE', error: expect.stringMatching(/ENOSPC|space/i) });
    expect(engine.tabletHomeDisk('t')).toBe(D0);
    expect(engine.tabletDiskBytes('t')[D1]).toBe(0);
    expect(await filesUnder(mem, D1)).toEqual([]);
    expect(show(await all(engine))).toEqual(show(written));
    fs.clearRules();
    // It can run again.
    engine.startDiskMigration('t', D0, D1);
    expect(await engine.awaitDiskMigration('t')).toMatchObject({ state: 'COMPLETED' });
    await engine.close();
  });

  it('a tablet dropped during the migration: it ends in IDLE with the reason and no copy is left on the target', async () => {
    const mem = new MemoryFileSystem();
    let engineRef: Engine | undefined;
    const { engine } = await withTablet(mem, 3, {
      onDiskMigrationState: async (_t, state) => {
        if (state === 'MOVED') await engineRef!.dropTablet('t');
      },
    });
    engineRef = engine;
    engine.startDiskMigration('t', D0, D1);
    expect(await engine.awaitDiskMigration('t')).toMatchObject({ state: 'IDLE', error: expect.stringContaining('left this server') });
    await engine.idle();
    expect(await filesUnder(mem, D1)).toEqual([]);
    await engine.close();
  });

  it('a rename that fails is undone: back to IDLE, the old files in use, nothing left on the target', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const { engine, written } = await withTablet(fs, 3);
    fs.addRule({ op: 'rename', path: /\.migrate\.tmp\//, nth: 3, error: 'EIO' });
    engine.startDiskMigration('t', D0, D1);
    const end = await engine.awaitDiskMigration('t');
    expect(end).toMatchObject({ state: 'IDLE', error: expect.stringMatching(/EIO|injected/) });
    expect(engine.tabletDiskBytes('t')[D1]).toBe(0);
    expect((await filesUnder(mem, D1)).filter((p) => p.endsWith('.frag'))).toEqual([]);
    expect(show(await all(engine))).toEqual(show(written));
    await engine.close();
    const again = await open(mem);
    expect(show(await all(again))).toEqual(show(written));
    expect(await filesUnder(mem, D1)).toEqual([]);
    await again.close();
  });

  for (const crashAt of ['MOVING', 'MOVED', 'CLOSED', 'COMPLETED'] as const) {
    it(`a crash in ${crashAt}: after the open exactly one copy is in use, nothing acknowledged is lost, no .tmp is left`, async () => {
      const mem = new MemoryFileSystem();
      const fs = new FaultyFileSystem(mem);
      let crashed!: () => void;
      const crashedNow = new Promise<void>((r) => (crashed = r));
      const { engine, written } = await withTablet(fs, 3, {
        onDiskMigrationState: async (_t, state) => {
          if (state !== crashAt) return;
          // kill -9: nothing unsynced survives, and the dead engine can touch nothing more.
          mem.crash();
          fs.addRule({ error: 'EIO', times: Number.POSITIVE_INFINITY });
          crashed();
          await new Promise(() => {});
        },
      });
      // An acknowledged write that is only in the log when the crash comes.
      const late = rows('late-', 20);
      await engine.apply('tb', late);
      engine.startDiskMigration('t', D0, D1);
      await crashedNow;
      const again = await open(mem);
      const names = await manifestNames(mem);
      const after = crashAt === 'MOVING' || crashAt === 'MOVED' ? D0 : D1;
      const before = after === D0 ? D1 : D0;
      expect(again.tabletDiskBytes('t')[before]).toBe(0);
      expect(again.tabletDiskBytes('t')[after]).toBeGreaterThan(0);
      expect(onDisk(names, before)).toEqual([]);
      expect((await filesUnder(mem, D1, true)).filter((p) => p.includes('.migrate.tmp'))).toEqual([]);
      // Files on the disk the tablet left are orphans the open removed (no META names them here).
      expect((await filesUnder(mem, before)).filter((p) => p.endsWith('.frag'))).toEqual([]);
      expect(show(await all(again)).sort()).toEqual(show([...written, ...late]).sort());
      await again.close();
    });
  }
});
