// Group commit per table (DESIGN §4, engine/record-combiner.ts): applies
// that arrive while the log is busy are logged as one record per table
// (and per sync flag), and the log replays them exactly — also after a
// crash, and when another engine replays the log read-only.

import { describe, expect, it } from 'vitest';
import { lz4Codec } from '../src/codec/lz4-codec.js';
import { decodeLogRecord, encodeLogBatch, encodeLogRecord } from '../src/engine/log-batch.js';
import { Engine } from '../src/engine/engine.js';
import { FaultyFileSystem } from '../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../src/fs/memory-file-system.js';
import { replayLog } from '../src/log/log-reader.js';
import { cell, show, TableModel } from './kit.js';

describe('group commit per table', () => {
  it('a version-3 record round-trips its batches in order; one batch stays version 2', () => {
    const a = encodeLogBatch('t', [cell('a', 'f:1', 1, 'x')], 10);
    const b = encodeLogBatch('t', [cell('b', 'f:1', 2, null), cell('c', 'f:2', 3, 'y')], 11);
    expect(encodeLogRecord('t', [a])).toBe(a);
    const batches = decodeLogRecord(encodeLogRecord('t', [a, b]), 'test');
    expect(batches.map((x) => [x.table, x.txn, show(x.cells)])).toEqual([
      ['t', 10, ['a f:1@1=x']],
      ['t', 11, ['b f:1@2=null', 'c f:2@3=y']],
    ]);
    expect(() => decodeLogRecord(encodeLogRecord('t', [a, b]).subarray(0, 30), 'test')).toThrow(/truncated/);
  });

  it('concurrent applies of two tables, sync and not, share records; replay after a crash finds every acknowledged one', async () => {
    const fs = new MemoryFileSystem();
    const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    await engine.createTablet({ id: 'a', table: 'ta' });
    await engine.createTablet({ id: 'b', table: 'tb' });
    const models = { ta: new TableModel(), tb: new TableModel() };
    const applies: Promise<number>[] = [];
    for (let i = 0; i < 300; i++) {
      const table = i % 3 === 0 ? 'tb' : 'ta';
      const cells = [cell(`r${i}`, 'f:q', 1, `v${i}`)];
      models[table].apply(cells);
      applies.push(engine.apply(table, cells, { sync: i % 5 !== 0 }));
    }
    const txns = await Promise.all(applies);
    // Txns in call order; visible in that order.
    for (let i = 1; i < txns.length; i++) expect(txns[i]).toBeGreaterThan(txns[i - 1]!);
    await engine.sync();
    let records = 0;
    let batches = 0;
    await replayLog(fs, engine.logDirectory, (r) => {
      records++;
      batches += decodeLogRecord(r.payload, 'test').length;
    });
    expect(batches).toBe(300);
    expect(records).toBeLessThan(300 / 4); // gathered, not one record per apply
    fs.crash();
    const again = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    expect(show((await again.scan('a', {}, { maxCells: 1000 })).cells)).toEqual(show(models.ta.sorted()));
    expect(show((await again.scan('b', {}, { maxCells: 1000 })).cells)).toEqual(show(models.tb.sorted()));
    // Another engine replaying the log read-only sees the same.
    const other = await Engine.open({ fs, dir: '/other', codec: lz4Codec, autoCompact: false });
    await other.loadTablet({ id: 'b', table: 'tb', replayLogs: [again.logDirectory] });
    expect(show((await other.scan('b', {}, { maxCells: 1000 })).cells)).toEqual(show(models.tb.sorted()));
    await other.close();
    await again.close();
  });

  it('sync covers applies still waiting in the group-commit queue', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    // A slow disk: the first apply's fdatasync is still running while the others queue.
    fs.setDelay('sync', 50);
    await engine.createTablet({ id: 'a', table: 'ta' });
    // The first apply occupies the log; the next ones queue behind it.
    const first = engine.apply('ta', [cell('r0', 'f:q', 1, 'v0')]);
    const queued = [1, 2, 3].map((i) => engine.apply('ta', [cell(`r${i}`, 'f:q', 1, `v${i}`)], { sync: false }));
    // Let them take their txns (after the back-pressure check) and queue up.
    await new Promise((r) => setImmediate(r));
    const synced = await engine.sync();
    expect(synced).toBeGreaterThanOrEqual(Math.max(...(await Promise.all(queued))));
    await first;
    mem.crash();
    const again = await Engine.open({ fs: mem, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    expect(show((await again.scan('a', {})).cells)).toEqual(['r0 f:q@1=v0', 'r1 f:q@1=v1', 'r2 f:q@1=v2', 'r3 f:q@1=v3']);
    await again.close();
  });

  it('one key written by sync, non-sync and sync applies of one group: replay keeps the last one (arrival order)', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    await engine.createTablet({ id: 'a', table: 'ta' });
    fs.setDelay('sync', 30);
    const first = engine.apply('ta', [cell('other', 'f:q', 1, 'x')]);
    await new Promise((r) => setImmediate(r));
    const writes = [
      engine.apply('ta', [cell('k', 'f:q', 1, 'A')]),
      engine.apply('ta', [cell('k', 'f:q', 1, 'B')], { sync: false }),
      engine.apply('ta', [cell('k', 'f:q', 1, 'C')]),
    ];
    await Promise.all([first, ...writes]);
    expect(show((await engine.scan('a', {})).cells)).toEqual(['k f:q@1=C', 'other f:q@1=x']);
    mem.crash();
    const again = await Engine.open({ fs: mem, dir: '/kdi', codec: lz4Codec, autoCompact: false });
    expect(show((await again.scan('a', {})).cells)).toEqual(['k f:q@1=C', 'other f:q@1=x']);
    await again.close();
  });

  it('sync of a non-sync apply grouped with sync applies of another table, across a segment switch, is durable', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const engine = await Engine.open({ fs, dir: '/kdi', codec: lz4Codec, autoCompact: false, logSegmentBytes: 256 });
    await engine.createTablet({ id: 'x', table: 'tx' });
    await engine.createTablet({ id: 'y', table: 'ty' });
    fs.setDelay('sync', 30);
    const first = engine.apply('tx', [cell('first', 'f:q', 1, 'v'.repeat(100))]);
    await new Promise((r) => setImmediate(r));
    const a = engine.apply('tx', [cell('a', 'f:q', 1, 'v'.repeat(150))]);
    const b = engine.apply('ty', [cell('b', 'f:q', 1, 'B')], { sync: false });
    const c = engine.apply('tx', [cell('c', 'f:q', 1, 'v'.repeat(150))]);
    const [, , txnB] = await Promise.all([first, a, b, c]).then((t) => [t[1], t[3], t[2]] as const);
    expect(await engine.sync(txnB)).toBeGreaterThanOrEqual(txnB);
    mem.crash();
    const again = await Engine.open({ fs: mem, dir: '/kdi', codec: lz4Codec, autoCompact: false, logSegmentBytes: 256 });
    expect(show((await again.scan('y', {})).cells)).toEqual(['b f:q@1=B']);
    await again.close();
  });
});
