// Merging adjacent tablets (engine/tablet-merge.ts, DESIGN §9): the merged
// tablet scans exactly the union of the two, keeps doing so after a
// restart, and never shows a cell one half had erased and compacted away
// while the other half still listed the split parent's fragment. Merges
// that make no sense are refused with the reason, and change nothing.

import type { Cell } from '@kdi/primitives';
import { afterEach, describe, expect, it } from 'vitest';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions } from '../src/engine/engine.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { b, cell, erase, rng, scanShown, show, TableModel } from './kit.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => {});
});

async function open(fs = new MemoryFileSystem(), extra: Partial<EngineOptions> = {}): Promise<{ engine: Engine; fs: MemoryFileSystem }> {
  const engine = await Engine.open({ fs, dir: '/data', codec: lz4Codec, blockSize: 256, autoCompact: false, ...extra });
  engines.push(engine);
  return { engine, fs };
}

/** Holds the rename that puts the next fragment build in place until released. */
class GatedFileSystem extends MemoryFileSystem {
  private gate: { reached: () => void; released: Promise<void> } | undefined;

  holdNextFragment(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    this.gate = { reached, released };
    return { reached: reachedP, release };
  }

  override async rename(from: string, to: string): Promise<void> {
    const gate = this.gate;
    if (gate !== undefined && from.endsWith('.frag.tmp')) {
      this.gate = undefined;
      gate.reached();
      await gate.released;
    }
    return super.rename(from, to);
  }
}

const T = 'tb';
const scanAll = (engine: Engine, id: string) => scanShown(engine, id, 41);
const rows = (n: number) => Array.from({ length: n }, (_, i) => `r${String(i).padStart(4, '0')}`);

describe('Engine.mergeTablets', () => {
  it('the merged tablet scans the union of both, from memory and disk, and takes writes and compactions', async () => {
    const { engine } = await open();
    await engine.createTablet({ id: 'lo', table: T, upperInclusive: b('r0100') });
    await engine.createTablet({ id: 'hi', table: T, lowerExclusive: b('r0100') });
    const model = new TableModel();
    const all = rows(200);
    const r = rng(7);
    for (let round = 0; round < 4; round++) {
      const batch: Cell[] = all.filter(() => r() < 0.4).map((row) => (r() < 0.15 ? erase(row, 'c', 1) : cell(row, 'c', 1, `${row}.${round}`)));
      await engine.apply(T, batch);
      model.apply(batch);
      if (round < 3) await engine.serialize(); // the last round stays in memory
    }
    const before = [...(await scanAll(engine, 'lo')), ...(await scanAll(engine, 'hi'))];
    expect(before).toEqual(show(model.sorted()));

    await engine.mergeTablets('lo', 'hi', 'both');
    expect(engine.tabletIds()).toEqual(['both']);
    expect(engine.tabletRange('both')).toEqual({ table: T, lowerExclusive: undefined, upperInclusive: undefined });
    expect(await scanAll(engine, 'both')).toEqual(before);
    expect(engine.tabletSizes('both').fragments).toBe(6); // 3 serializations × 2 tablets

    const later = [cell('r0050', 'c', 2, 'new'), cell('r0150', 'c', 2, 'new'), erase('r0199', 'c', 1)];
    await engine.apply(T, later);
    model.apply(later);
    await engine.serialize();
    await engine.compactTablet('both', { full: true });
    expect(engine.tabletSizes('both').fragments).toBe(1);
    expect(await scanAll(engine, 'both')).toEqual(show(model.sorted()));
  });

  it('does not bring back cells one half erased and compacted away while the other half still listed the parent fragment', async () => {
    const { engine } = await open();
    await engine.createTablet({ id: 't', table: T });
    const model = new TableModel();
    const first = rows(100).map((row) => cell(row, 'c', 1, row));
    await engine.apply(T, first);
    model.apply(first);
    await engine.serialize();
    await engine.splitTablet('t', b('r0050'), 'lo', 'hi');
    // Erase rows of the low half, then compact the low half alone: the
    // erased cells and the erasures are gone from its chain, but the high
    // half still lists the parent fragment, which holds them.
    const erasures = ['r0003', 'r0010', 'r0049'].map((row) => erase(row, 'c', 1));
    await engine.apply(T, erasures);
    model.apply(erasures);
    await engine.serialize();
    await engine.compactTablet('lo', { full: true });
    expect(engine.tabletSizes('lo').fragments).toBe(1);
    expect(engine.tabletSizes('hi').fragments).toBe(1); // the parent's, reaching below its range

    await expect(engine.mergeTablets('lo', 'hi', 'm')).rejects.toMatchObject({ kind: 'invalid-argument', details: { reason: 'fragments-outside-range', tablets: ['hi'] } });
    expect(engine.tabletIds().sort()).toEqual(['hi', 'lo']); // nothing changed

    await engine.prepareMerge('lo', 'hi');
    await engine.mergeTablets('lo', 'hi', 'm');
    const merged = await scanAll(engine, 'm');
    expect(merged).toEqual(show(model.sorted()));
    expect(merged.some((l) => l.startsWith('r0010 '))).toBe(false);
    await engine.compactTablet('m', { full: true });
    expect(await scanAll(engine, 'm')).toEqual(show(model.sorted()));
  });

  it('a split tablet that was never compacted merges back after prepareMerge', async () => {
    const { engine } = await open();
    await engine.createTablet({ id: 't', table: T });
    const cells = rows(60).map((row) => cell(row, 'c', 1, row));
    await engine.apply(T, cells);
    await engine.serialize();
    await engine.splitTablet('t', b('r0030'), 'lo', 'hi');
    await engine.apply(T, [erase('r0040', 'c', 1)]);
    await engine.prepareMerge('lo', 'hi');
    await engine.mergeTablets('lo', 'hi', 't2');
    expect(await scanAll(engine, 't2')).toEqual(show(cells.filter((c) => Buffer.from(c.row).toString() !== 'r0040')));
  });

  it('merges tablets with several locality groups and legacy fragments from a schema change; the union scans the same before and after repartitioning', async () => {
    const { engine, fs } = await open();
    const before = [
      { name: 'ac', families: ['anchor', 'contents'] },
      { name: 'rest', families: '*' as const },
    ];
    await engine.createTablet({ id: 'lo', table: T, upperInclusive: b('m'), groups: before });
    await engine.createTablet({ id: 'hi', table: T, lowerExclusive: b('m'), groups: before });
    const model = new TableModel();
    const r = rng(3);
    for (let round = 0; round < 3; round++) {
      const batch: Cell[] = [];
      for (let i = 0; i < 60; i++) {
        const row = String.fromCharCode(97 + Math.floor(r() * 26)) + String(Math.floor(r() * 10));
        const family = ['anchor', 'contents', 'other'][Math.floor(r() * 3)]!;
        batch.push(r() < 0.1 ? erase(row, `${family}:q`, 1) : cell(row, `${family}:q`, 1, `${row}.${round}`));
      }
      await engine.apply(T, batch);
      model.apply(batch);
      await engine.serialize();
    }
    // 'ac' splits into two groups: its chains retire to legacy on both tablets.
    await engine.setTableSchema(T, [
      { name: 'anchors', families: ['anchor'] },
      { name: 'contents', families: ['contents'] },
      { name: 'rest', families: '*' },
    ]);
    expect(engine.tabletSizes('lo').legacy.fragments).toBeGreaterThan(0);
    expect(engine.tabletSizes('hi').legacy.fragments).toBeGreaterThan(0);
    const legacyBefore = engine.tabletSizes('lo').legacy.fragments + engine.tabletSizes('hi').legacy.fragments;
    const last = [cell('a0', 'anchor:q', 2, 'new'), cell('z9', 'contents:q', 2, 'new')];
    await engine.apply(T, last);
    model.apply(last);
    await engine.serialize();

    await engine.mergeTablets('lo', 'hi', 'm');
    expect(engine.tabletSizes('m').legacy.fragments).toBe(legacyBefore);
    expect(await scanAll(engine, 'm')).toEqual(show(model.sorted()));
    expect(show((await engine.scan('m', { columns: [{ lower: { value: b('anchor:'), inclusive: true }, upper: { value: b('anchor;'), inclusive: false } }] })).cells)).toEqual(
      show(model.sorted().filter((c) => Buffer.from(c.column).toString().startsWith('anchor:'))),
    );
    await engine.compactTablet('m', { full: true });
    expect(engine.tabletSizes('m').legacy.fragments).toBe(0);
    expect(await scanAll(engine, 'm')).toEqual(show(model.sorted()));
    fs.crash();
    const { engine: again } = await open(fs);
    expect(await scanAll(again, 'm')).toEqual(show(model.sorted()));
  });

  it('the merge survives a restart (manifest), and the log replays into the merged tablet', async () => {
    const { engine, fs } = await open();
    await engine.createTablet({ id: 'a', table: T, upperInclusive: b('m') });
    await engine.createTablet({ id: 'b', table: T, lowerExclusive: b('m'), upperInclusive: b('t') });
    await engine.createTablet({ id: 'c', table: T, lowerExclusive: b('t') });
    await engine.apply(T, [cell('d', 'c', 1, 'disk'), cell('p', 'c', 1, 'disk'), cell('x', 'c', 1, 'disk')]);
    await engine.serialize();
    await engine.mergeTablets('b', 'c', 'bc');
    await engine.apply(T, [cell('q', 'c', 2, 'log'), erase('x', 'c', 1)]);
    const expected = { a: await scanAll(engine, 'a'), bc: await scanAll(engine, 'bc') };
    expect(expected.bc).toEqual(['p c@1=disk', 'q c@2=log']);
    fs.crash();
    const { engine: again } = await open(fs);
    expect(again.tabletIds().sort()).toEqual(['a', 'bc']);
    expect(again.tabletRange('bc')).toEqual({ table: T, lowerExclusive: b('m'), upperInclusive: undefined });
    expect(await scanAll(again, 'a')).toEqual(expected.a);
    expect(await scanAll(again, 'bc')).toEqual(expected.bc);
  });

  it('a serialization under way when the merge happens lands in the merged tablet', async () => {
    const fs = new GatedFileSystem();
    const { engine } = await open(fs);
    await engine.createTablet({ id: 'lo', table: T, upperInclusive: b('m') });
    await engine.createTablet({ id: 'hi', table: T, lowerExclusive: b('m') });
    await engine.apply(T, [cell('a', 'c', 1), cell('z', 'c', 1)]);
    const gate = fs.holdNextFragment();
    const serializing = engine.serialize();
    await gate.reached; // the first fragment (lo's) is built, not yet in place
    await engine.mergeTablets('lo', 'hi', 'm');
    gate.release();
    await serializing;
    expect(engine.memoryBytes()).toBe(0);
    expect(await scanAll(engine, 'm')).toEqual(['a c@1=v', 'z c@1=v']);
    expect(engine.tabletSizes('m').fragments).toBe(2);
  });

  it('hands both tablets’ published files to the merged tablet', async () => {
    const { engine } = await open(new MemoryFileSystem(), { publication: true });
    await engine.createTablet({ id: 'lo', table: T, upperInclusive: b('m') });
    await engine.createTablet({ id: 'hi', table: T, lowerExclusive: b('m') });
    await engine.apply(T, [cell('a', 'c', 1), cell('z', 'c', 1)]);
    await engine.serialize();
    const snap = await engine.publicationSnapshot();
    await engine.acknowledgePublication(
      snap,
      snap.tablets.map((t) => t.id),
    );
    await engine.mergeTablets('lo', 'hi', 'm');
    expect(engine.publishedTablets().map((p) => p.id)).toEqual(['m']);
    const after = await engine.publicationSnapshot();
    expect(after.tablets.map((t) => t.id)).toEqual(['m']);
    expect(Object.values(after.tablets[0]!.fragments).flat()).toHaveLength(2);
  });

  it('refuses what cannot be merged, naming why, and changes nothing', async () => {
    const { engine } = await open();
    await engine.createTablet({ id: 'a', table: T, upperInclusive: b('f') });
    await engine.createTablet({ id: 'b', table: T, lowerExclusive: b('f'), upperInclusive: b('m') });
    await engine.createTablet({ id: 'c', table: T, lowerExclusive: b('m') });
    await engine.createTablet({ id: 'o', table: 'other', upperInclusive: b('f') });
    await engine.createTablet({ id: 'p', table: 'other', lowerExclusive: b('f'), groups: [{ name: 'g', families: ['x'] }] });
    await engine.createTablet({ id: 'q', table: 'third', upperInclusive: b('f') });
    await engine.createTablet({ id: 'r', table: 'third', lowerExclusive: b('f') });
    const ids = engine.tabletIds().sort();
    const refused = async (lo: string, hi: string, merged: string, message: RegExp, kind = 'invalid-argument') => {
      await expect(engine.mergeTablets(lo, hi, merged)).rejects.toMatchObject({ kind, message: expect.stringMatching(message) });
      expect(engine.tabletIds().sort()).toEqual(ids);
    };
    await refused('a', 'c', 'x', /are not adjacent/);
    await refused('b', 'a', 'x', /are not adjacent/); // low first
    await refused('a', 'o', 'x', /belong to different tables/);
    await refused('a', 'a', 'x', /with itself/);
    await refused('a', 'nope', 'x', /no tablet nope/, 'not-found');
    await refused('nope', 'b', 'x', /no tablet nope/, 'not-found');
    await refused('o', 'p', 'x', /different locality groups/);
    await refused('a', 'b', 'c', /tablet c already exists/);
    await refused('a', 'b', '../x', /must be 1-128 characters/);
    await expect(engine.prepareMerge('a', 'c')).rejects.toThrow(/are not adjacent/);
    // A merged id may reuse one of the two.
    await engine.apply('third', [cell('a', 'c', 1), cell('z', 'c', 1)]);
    await engine.mergeTablets('q', 'r', 'r');
    expect(engine.tabletRange('r')).toMatchObject({ lowerExclusive: undefined, upperInclusive: undefined });
    expect(await scanAll(engine, 'r')).toEqual(['a c@1=v', 'z c@1=v']);
  });
});
