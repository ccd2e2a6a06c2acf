// Row transactions, sync, back-pressure and stat (DESIGN §4): what the
// tablet server's apply/sync/scan/stat are built on.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Cell } from '@kdi/primitives';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { Engine, type EngineOptions } from '../src/engine/engine.js';
import { isStorageError } from '../src/errors.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../src/fs/node-file-system.js';
import type { ScanSpec } from '../src/scan/scan-spec.js';
import { b, cell, show, str } from './kit.js';

const row = (r: string): ScanSpec => ({ rows: [{ lower: { value: b(r), inclusive: true }, upper: { value: b(r), inclusive: true } }] });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('engine row transactions, sync, back-pressure, stat', () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => {});
  });

  async function open(fs = new MemoryFileSystem(), extra: Partial<EngineOptions> = {}) {
    const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false, ...extra });
    engines.push(engine);
    return engine;
  }

  it('a read-modify-write commits when the row is unchanged and aborts when it changed', async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    const t1 = await engine.apply('tb', [cell('acct', 'bal', 1, '10')]);
    const read = await engine.scan('t', row('acct'));
    expect(read.scanTxn).toBeGreaterThanOrEqual(t1);
    const t2 = await engine.apply('tb', [cell('acct', 'bal', 2, '11')], { commitMaxTxn: read.scanTxn });
    expect(t2).toBeGreaterThan(t1);
    // A second writer that read before t2 must not overwrite it.
    const e = await rejection(engine.apply('tb', [cell('acct', 'bal', 3, '99'), cell('other', 'x', 1)], { commitMaxTxn: read.scanTxn }));
    expect(isStorageError(e, 'aborted')).toBe(true);
    expect((e as Error).message).toMatch(/row "acct" changed at txn \d+, after commitMaxTxn/);
    // Nothing of the aborted batch was applied, not even the untouched row.
    expect(show((await engine.scan('t', {})).cells)).toEqual(['acct bal@2=11', 'acct bal@1=10']);
    // Rows nobody touched since the read commit fine.
    await engine.apply('tb', [cell('fresh', 'x', 1)], { commitMaxTxn: read.scanTxn });
  });

  it('a write still being logged (its fdatasync pending) already conflicts with a read-modify-write that read before it', async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    await engine.apply('tb', [cell('acct', 'bal', 1, '10')]);
    const read = await engine.scan('t', row('acct'));
    // Not awaited: its txn is handed out, its cells are not in memory until the log has it.
    const writing = engine.apply('tb', [cell('acct', 'bal', 2, '20')]);
    const e = await rejection(engine.apply('tb', [cell('acct', 'bal', 3, '99')], { commitMaxTxn: read.scanTxn }));
    expect(isStorageError(e, 'aborted')).toBe(true);
    await writing;
    // Another row is not touched by the in-flight write: commits.
    const w2 = engine.apply('tb', [cell('acct', 'bal', 4, '30')]);
    await engine.apply('tb', [cell('other', 'x', 1)], { commitMaxTxn: read.scanTxn });
    await w2;
    expect(show((await engine.scan('t', row('acct'))).cells)).toEqual(['acct bal@4=30', 'acct bal@2=20', 'acct bal@1=10']);
  });

  it('rows whose data left memory use the tablet floor; after a reopen every old txn conflicts, replayed rows included', async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    const early = (await engine.scan('t', {})).scanTxn;
    await engine.apply('tb', [cell('a', 'c', 1)]);
    await engine.serialize(); // row 'a' is no longer tracked
    const e = await rejection(engine.apply('tb', [cell('a', 'c', 2)], { commitMaxTxn: early }));
    expect(isStorageError(e, 'aborted')).toBe(true);
    const now = (await engine.scan('t', {})).scanTxn;
    const lastBefore = await engine.apply('tb', [cell('b', 'c', 1)], { commitMaxTxn: now });
    await engine.close();

    const again = await open(mem);
    // Txns keep growing across the restart.
    const afterRestart = (await again.scan('t', {})).scanTxn;
    expect(afterRestart).toBeGreaterThanOrEqual(lastBefore);
    // Untracked rows (serialized, or never written) take the new floor: every old txn conflicts.
    for (const r of ['a', 'never-written']) {
      expect(isStorageError(await rejection(again.apply('tb', [cell(r, 'c', 9)], { commitMaxTxn: lastBefore })), 'aborted')).toBe(true);
    }
    // Rows replayed from the log too (DESIGN §4: after a reload old txns conflict, never pass): a read
    // before the restart may have seen an unsynced write the crash lost.
    for (const commitMaxTxn of [lastBefore - 1, lastBefore]) {
      expect(isStorageError(await rejection(again.apply('tb', [cell('b', 'c', 9)], { commitMaxTxn })), 'aborted')).toBe(true);
    }
    const fresh = await again.scan('t', {});
    expect(await again.apply('tb', [cell('a', 'c', 3)], { commitMaxTxn: fresh.scanTxn })).toBeGreaterThan(lastBefore);
  });

  it('a counter incremented by many concurrent read-modify-write clients ends exact', async () => {
    const engine = await open();
    await engine.createTablet({ id: 't', table: 'tb' });
    await engine.apply('tb', [cell('counter', 'n', 0, '0')]);
    const clients = 8;
    const each = 15;
    let aborts = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, k) => {
        for (let i = 0; i < each; i++) {
          for (;;) {
            const page = await engine.scan('t', { ...row('counter'), history: 1 });
            const value = Number(str(page.cells[0]!.value));
            await new Promise((r) => setImmediate(r)); // let the others interleave
            try {
              // Alternate sync modes: conflicts are decided at apply, not at durability.
              await engine.apply('tb', [cell('counter', 'n', 0, String(value + 1))], { commitMaxTxn: page.scanTxn, sync: (i + k) % 2 === 0 });
              break;
            } catch (e) {
              if (!isStorageError(e, 'aborted')) throw e;
              aborts++;
            }
          }
        }
      }),
    );
    const final = await engine.scan('t', row('counter'));
    expect(str(final.cells[0]!.value)).toBe(String(clients * each));
    expect(aborts).toBeGreaterThan(0); // the clients really did collide
  });

  it('sync makes unsynced applies durable and refuses txns not handed out', async () => {
    const mem = new MemoryFileSystem();
    const engine = await open(mem);
    await engine.createTablet({ id: 't', table: 'tb' });
    const txn = await engine.apply('tb', [cell('a', 'c', 1, 'unsynced')], { sync: false });
    const synced = await engine.sync(txn);
    expect(synced).toBeGreaterThanOrEqual(txn);
    expect(await engine.sync()).toBeGreaterThanOrEqual(txn);
    expect(isStorageError(await rejection(engine.sync(txn + 1_000_000)), 'invalid-argument')).toBe(true);
    mem.crash(); // whatever was not synced is gone; the synced apply is not
    const again = await open(mem);
    expect(show((await again.scan('t', {})).cells)).toEqual(['a c@1=unsynced']);
  });

  it('back-pressure: an apply waits for memory, then fails busy without applying anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdi-bp-'));
    let engine: Engine | undefined;
    try {
      const fs = new FaultyFileSystem(new NodeFileSystem());
      // Serializations crawl, so memory cannot drain in time.
      fs.setDelay('append', 300);
      engine = await Engine.open({ fs, dir, codec: null, autoCompact: false, memoryBudgetBytes: 4 << 10, maxMemoryBytes: 8 << 10, blockSize: 1024 });
      engines.push(engine);
      await engine.createTablet({ id: 't', table: 'tb' });
      const big = (p: string): Cell[] => Array.from({ length: 20 }, (_, i) => cell(`${p}${i}`, 'c', 1, 'x'.repeat(500)));
      await engine.apply('tb', big('a'), { sync: false, maxWaitMs: 0 });
      const e = await rejection(engine.apply('tb', big('b'), { sync: false, maxWaitMs: 50 }));
      expect(isStorageError(e, 'busy')).toBe(true);
      expect((e as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
      expect((e as Error).message).toMatch(/over the \d+-byte limit/);
      fs.setDelay('append', 0);
      // Given time, memory drains and the same apply goes through.
      await engine.apply('tb', big('b'), { sync: false, maxWaitMs: 30_000 });
      const rows = (await engine.scan('t', {}, { maxCells: 1000 })).cells.map((c) => str(c.row)![0]);
      expect(rows.filter((r) => r === 'b')).toHaveLength(20);
      expect(rows.filter((r) => r === 'a')).toHaveLength(20);
    } finally {
      // Background serialization may still be writing into the directory.
      await engine?.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('back-pressure waits on the engine clock: parked until the clock passes maxWaitMs, then busy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdi-bp-clock-'));
    let engine: Engine | undefined;
    try {
      const fs = new FaultyFileSystem(new NodeFileSystem());
      fs.setDelay('append', 300); // serializations crawl: memory cannot drain on its own soon
      const clock = new ManualClock();
      engine = await Engine.open({ fs, dir, clock, codec: null, autoCompact: false, memoryBudgetBytes: 4 << 10, maxMemoryBytes: 8 << 10, blockSize: 1024 });
      engines.push(engine);
      await engine.createTablet({ id: 't', table: 'tb' });
      const big = (p: string): Cell[] => Array.from({ length: 20 }, (_, i) => cell(`${p}${i}`, 'c', 1, 'x'.repeat(500)));
      await engine.apply('tb', big('a'), { sync: false, maxWaitMs: 0 });
      let settled: unknown = 'pending';
      const waiting = engine.apply('tb', big('b'), { sync: false, maxWaitMs: 1000 }).then(
        () => (settled = 'applied'),
        (e: unknown) => (settled = e),
      );
      // Real time passes; the engine's clock does not, so the apply stays parked on it.
      while (clock.pendingSleeps === 0) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      expect(settled).toBe('pending');
      expect(clock.nextWakeAt).toBe(25);
      clock.advance(999);
      await new Promise((r) => setTimeout(r, 20));
      expect(settled).toBe('pending');
      clock.advance(1);
      await waiting;
      expect(isStorageError(settled, 'busy')).toBe(true);
      expect((settled as Error).message).toMatch(/did not drain within 1000 ms/);
      fs.setDelay('append', 0);
    } finally {
      await engine?.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stat approximates cells and bytes from block indexes and memory', async () => {
    const engine = await open(new MemoryFileSystem(), { blockSize: 512 });
    await engine.createTablet({ id: 't', table: 'tb' });
    const all = Array.from({ length: 400 }, (_, i) => cell(`r${String(i).padStart(4, '0')}`, i % 2 ? 'x:1' : 'y:1', 1, 'v'.repeat(40)));
    await engine.apply('tb', all.slice(0, 300));
    await engine.serialize();
    await engine.apply('tb', all.slice(300));
    const everything = engine.stat('t', {});
    expect(everything.cells).toBe(400);
    expect(everything.bytes).toBeGreaterThan(400 * 40);
    const some = engine.stat('t', { rows: [{ lower: { value: b('r0100'), inclusive: true }, upper: { value: b('r0149'), inclusive: true } }] });
    // Whole blocks are counted, so a little more than 50, far less than all.
    expect(some.cells).toBeGreaterThanOrEqual(50);
    expect(some.cells).toBeLessThan(120);
    const memOnly = engine.stat('t', { rows: [{ lower: { value: b('r0350'), inclusive: true } }] });
    expect(memOnly.cells).toBeGreaterThanOrEqual(50);
    expect(engine.stat('t', { times: [{ lower: { value: 5, inclusive: true } }] }).cells).toBe(0);
  });
});

describe('engine options', () => {
  it('refuses limits that would stall or never serialize', async () => {
    for (const bad of [{ maxMemoryBytes: 0 }, { memoryBudgetBytes: -1 }, { backPressureWaitMs: 1.5 }, { blockSize: 0 }]) {
      await expect(Engine.open({ fs: new MemoryFileSystem(), dir: '/kdi', ...bad })).rejects.toThrow(/engine option \w+ must be an integer/);
    }
  });
});
