// Publication (engine/publication.ts, DESIGN §5 and §7): what META names
// for a tablet — the fragment lists last written there and `log:` naming
// the serving engine's log — must always be enough for another engine to
// load every acknowledged write, whatever the serving engine has done
// since: serializations (which move data out of the log), compactions
// (which replace fragment files), splits, crashes and restarts. And once
// the configs are acknowledged, nothing is kept that no config needs.
//
// The check after every step: a fresh engine loads the tablet from the
// "META" the test keeps (updated only when a publication is acknowledged)
// and from the serving engine's log, and must scan exactly the model. The
// same scenario without publication must fail that check: the test has
// teeth.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions, type FragmentLists } from '../src/engine/engine.js';
import type { FileSystem } from '../src/fs/file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import { listSegments } from '../src/log/segment-files.js';
import { b, cell, erase, rng, show, TableModel, scanShown } from './kit.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = 'web';

interface Host {
  fs: FileSystem;
  root: string;
  crash?: () => void;
}

async function memoryHost(): Promise<Host> {
  const fs = new MemoryFileSystem();
  return { fs, root: '/host', crash: () => fs.crash() };
}

async function nodeHost(): Promise<Host> {
  const root = await mkdtemp(join(tmpdir(), 'kdi-publication-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return { fs: new NodeFileSystem(), root };
}

async function open(h: Host, name: string, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await Engine.open({
    fs: h.fs,
    dir: `${h.root}/${name}`,
    codec: lz4Codec,
    blockSize: 256,
    autoCompact: false,
    logSegmentBytes: 4096,
    ...extra,
  });
  cleanups.push(() => engine.close().catch(() => {}));
  return engine;
}

const scanAll = (engine: Engine, id: string): Promise<string[]> => scanShown(engine, id, 50);

/** What the test's "META" holds per tablet: the lists last acknowledged. */
type Meta = Map<string, { lower?: Buffer; upper?: Buffer; fragments: FragmentLists }>;

/** Writes every changed tablet to `meta` and acknowledges them all (what the tablet server's publisher does). */
async function publish(engine: Engine, meta: Meta, skip: ReadonlySet<string> = new Set()): Promise<void> {
  const snap = await engine.publicationSnapshot();
  const done: string[] = [];
  for (const t of snap.tablets) {
    if (skip.has(t.id)) continue;
    meta.set(t.id, { ...meta.get(t.id)!, fragments: t.fragments });
    done.push(t.id);
  }
  await engine.acknowledgePublication(snap, done);
}

let loads = 0;
/** A fresh engine loads `id` from META and `logDir`: its scan (or the load's error). */
async function loadElsewhere(h: Host, meta: Meta, id: string, logDir: string): Promise<string[] | string> {
  const other = await open(h, `B${loads++}`);
  const m = meta.get(id)!;
  try {
    await other.loadTablet({ id, table: T, lowerExclusive: m.lower, upperInclusive: m.upper, fragments: m.fragments, replayLogs: [logDir] });
    return await scanAll(other, id);
  } catch (e) {
    return `load failed: ${(e as Error).message}`;
  } finally {
    await other.close();
  }
}

/**
 * Random writes to one tablet with serializations, full compactions,
 * publications and (on the memory filesystem) crashes between them; after
 * every step another engine loads the tablet from META + the log.
 * Returns the problems seen (empty when every load was exact).
 */
async function scenario(h: Host, seed: number, publication: boolean): Promise<string[]> {
  const opts = { publication };
  let a = await open(h, 'A', opts);
  await a.createTablet({ id: 't', table: T });
  const meta: Meta = new Map([['t', { fragments: {} }]]);
  if (publication) await a.endPublish('t', await a.beginPublish('t'));
  const model = new TableModel();
  const r = rng(seed);
  const problems: string[] = [];
  let serial = 0;
  for (let step = 0; step < 40; step++) {
    const cells = Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
      const row = `r${Math.floor(r() * 40)}`;
      const col = `f:${Math.floor(r() * 3)}`;
      const ts = Math.floor(r() * 2);
      return r() < 0.15 ? erase(row, col, ts) : cell(row, col, ts, `v${serial++}-${'x'.repeat(Math.floor(r() * 60))}`);
    });
    await a.apply(T, cells);
    model.apply(cells);
    const roll = r();
    if (roll < 0.3) await a.serialize();
    else if (roll < 0.45) {
      await a.serialize();
      await a.compactTablet('t', { full: true });
    } else if (roll < 0.6 && publication) await publish(a, meta);
    else if (roll < 0.7 && h.crash) {
      h.crash();
      a = await open(h, 'A', opts);
    }
    const got = await loadElsewhere(h, meta, 't', a.logDirectory);
    const want = show(model.sorted());
    if (typeof got === 'string') problems.push(`step ${step}: ${got}`);
    else if (got.join('\n') !== want.join('\n')) problems.push(`step ${step}: ${got.length} cells loaded, ${want.length} acknowledged`);
  }
  if (publication) {
    // Everything acknowledged: nothing left that no config needs.
    await a.serialize();
    await publish(a, meta);
    await a.compactTablet('t', { full: true });
    await publish(a, meta);
    await a.idle();
    const named = new Set(Object.values(meta.get('t')!.fragments).flat());
    const files = await listFiles(h.fs, `${h.root}/A/tables`);
    expect(files.filter((f) => !named.has(f))).toEqual([]);
    expect(await listSegments(h.fs, a.logDirectory)).toHaveLength(1); // only the one being written
    expect(await loadElsewhere(h, meta, 't', a.logDirectory)).toEqual(show(model.sorted()));
  }
  return problems;
}

async function listFiles(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of await fs.list(d)) {
      const p = `${d}/${name}`;
      if ((await fs.stat(p)).isDirectory) await walk(p);
      else out.push(p);
    }
  };
  if (await fs.exists(dir)) await walk(dir);
  return out.sort();
}

describe('publication: META plus the log always holds every acknowledged write', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`memory filesystem with crashes, seed ${seed}`, async () => {
      expect(await scenario(await memoryHost(), seed, true)).toEqual([]);
    });
  }

  it('node filesystem', async () => {
    expect(await scenario(await nodeHost(), 5, true)).toEqual([]);
  });

  it('without publication the same scenario loses writes for the next server (the check has teeth)', async () => {
    const problems = await scenario(await memoryHost(), 1, false);
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('publication bookkeeping', () => {
  it('a tablet whose config was not written holds back the log; the replaced files of the other stay until its config moves on', async () => {
    const h = await memoryHost();
    const a = await open(h, 'A', { publication: true });
    await a.createTablet({ id: 'low', table: T, upperInclusive: b('m') });
    await a.createTablet({ id: 'high', table: T, lowerExclusive: b('m') });
    const meta: Meta = new Map([
      ['low', { upper: b('m'), fragments: {} }],
      ['high', { lower: b('m'), fragments: {} }],
    ]);
    await publish(a, meta);
    for (let i = 0; i < 30; i++) await a.apply(T, [cell(`a${i}`, 'f:x', 1, 'v'.repeat(200)), cell(`z${i}`, 'f:x', 1, 'v'.repeat(200))]);
    const segments = (await listSegments(h.fs, a.logDirectory)).length;
    expect(segments).toBeGreaterThan(1);
    await a.serialize();
    // "high" is not written (say META refused it): the log stays.
    await publish(a, meta, new Set(['high']));
    expect((await listSegments(h.fs, a.logDirectory)).length).toBeGreaterThanOrEqual(segments);
    expect(await loadElsewhere(h, meta, 'high', a.logDirectory)).toHaveLength(30);
    // A second round in which it fails again: still held (a failed write must not count as published).
    await publish(a, meta, new Set(['high']));
    expect((await listSegments(h.fs, a.logDirectory)).length).toBeGreaterThanOrEqual(segments);
    expect(await loadElsewhere(h, meta, 'high', a.logDirectory)).toHaveLength(30);
    // Once it is written too, the log goes — and META alone has everything.
    await publish(a, meta);
    expect(await listSegments(h.fs, a.logDirectory)).toHaveLength(1);
    expect(await loadElsewhere(h, meta, 'high', a.logDirectory)).toHaveLength(30);
    expect(await loadElsewhere(h, meta, 'low', a.logDirectory)).toHaveLength(30);
    expect((await a.publicationSnapshot()).tablets).toEqual([]);
  });

  it('a tablet that cannot be written is in every snapshot, but only the first one saves the manifest (no endless publication rounds)', async () => {
    const h = await memoryHost();
    let saves = 0;
    const a = await open(h, 'A', { publication: true, onManifestSaved: () => saves++ });
    await a.createTablet({ id: 't', table: T });
    await a.apply(T, [cell('a', 'f:x', 1)]);
    await a.serialize();
    await new Promise((r) => setImmediate(r));
    const first = await a.publicationSnapshot();
    await a.acknowledgePublication(first, []);
    await new Promise((r) => setImmediate(r));
    const before = saves;
    for (let i = 0; i < 3; i++) {
      const again = await a.publicationSnapshot();
      expect(again.tablets.map((t) => t.id)).toEqual(['t']);
      await a.acknowledgePublication(again, []);
    }
    await new Promise((r) => setImmediate(r));
    expect(saves).toBe(before);
  });

  it('a split hands the published files to both halves: a half compacted before its config is written keeps them', async () => {
    const h = await memoryHost();
    const a = await open(h, 'A', { publication: true });
    await a.createTablet({ id: 't', table: T });
    const meta: Meta = new Map([['t', { fragments: {} }]]);
    for (let s = 0; s < 3; s++) {
      await a.apply(T, [cell(`a${s}`, 'f:x', 1), cell(`z${s}`, 'f:x', 1)]);
      await a.serialize();
    }
    await publish(a, meta);
    const published = Object.values(meta.get('t')!.fragments).flat();
    expect(published).toHaveLength(3);
    await a.splitTablet('t', b('m'), 'lo', 'hi');
    await a.compactTablet('lo', { full: true });
    await a.compactTablet('hi', { full: true });
    await a.idle();
    // META still says "t" with the three files (the split is not written): they stay.
    for (const f of published) expect(await h.fs.exists(f)).toBe(true);
    meta.set('lo', { upper: b('m'), fragments: {} });
    meta.set('hi', { lower: b('m'), fragments: {} });
    meta.delete('t');
    await publish(a, meta);
    await a.idle();
    for (const f of published) expect(await h.fs.exists(f)).toBe(false);
    expect(await loadElsewhere(h, meta, 'lo', a.logDirectory)).toHaveLength(3);
  });

  it('a restart keeps files META may name and republishes only tablets whose lists moved', async () => {
    const h = await memoryHost();
    let a = await open(h, 'A', { publication: true });
    await a.createTablet({ id: 'moved', table: T, upperInclusive: b('m') });
    await a.createTablet({ id: 'still', table: T, lowerExclusive: b('m') });
    const meta: Meta = new Map([
      ['moved', { upper: b('m'), fragments: {} }],
      ['still', { lower: b('m'), fragments: {} }],
    ]);
    await a.apply(T, [cell('a', 'f:x', 1), cell('z', 'f:x', 1)]);
    await a.serialize();
    await a.apply(T, [cell('b', 'f:x', 1)]);
    await a.serialize();
    await publish(a, meta);
    const old = Object.values(meta.get('moved')!.fragments).flat();
    await a.compactTablet('moved', { full: true });
    h.crash!();
    a = await open(h, 'A', { publication: true });
    for (const f of old) expect(await h.fs.exists(f)).toBe(true);
    expect(await loadElsewhere(h, meta, 'moved', a.logDirectory)).toHaveLength(2);
    const snap = await a.publicationSnapshot();
    expect(snap.tablets.map((t) => t.id)).toEqual(['moved']);
    await a.acknowledgePublication(snap, ['moved']);
    await a.idle();
    for (const f of old) expect(await h.fs.exists(f)).toBe(false);
  });

  it('a load replays a log from the segment its config names: an earlier tenure of the rows in that log is not replayed over newer data', async () => {
    const h = await memoryHost();
    const a = await open(h, 'A', { publication: true });
    await a.createTablet({ id: 't', table: T });
    await a.apply(T, [cell('k', 'f:x', 1, 'old-tenure')]);
    // The rows leave and come back with newer data in a fragment written elsewhere.
    const elsewhere = await open(h, 'E');
    await elsewhere.createTablet({ id: 't', table: T });
    await elsewhere.apply(T, [cell('k', 'f:x', 1, 'newer')]);
    await elsewhere.serialize();
    const newer = elsewhere.tabletFragments('t');
    await elsewhere.close();
    const from = await a.startLogSegment();
    await a.apply(T, [cell('n', 'f:x', 1, 'this-tenure')]);
    const load = async (fromSegment: number) => {
      const b = await open(h, `B${loads++}`);
      await b.loadTablet({ id: 't', table: T, fragments: newer, replayLogs: [{ dir: a.logDirectory, fromSegment }] });
      const got = await scanAll(b, 't');
      await b.close();
      return got;
    };
    expect(await load(from)).toEqual(['k f:x@1=newer', 'n f:x@1=this-tenure']);
    // Replaying the whole directory would put the old tenure's value back on top.
    expect(await load(0)).toEqual(['k f:x@1=old-tenure', 'n f:x@1=this-tenure']);
  });

  it('refuses publication calls on an engine opened without it, and forgetting a tablet still open', async () => {
    const h = await memoryHost();
    const plain = await open(h, 'P');
    await expect(plain.publicationSnapshot()).rejects.toThrow(/without publication/);
    const a = await open(h, 'A', { publication: true });
    await a.createTablet({ id: 't', table: T });
    await expect(a.forgetPublished('t')).rejects.toThrow(/still open here/);
  });
});
