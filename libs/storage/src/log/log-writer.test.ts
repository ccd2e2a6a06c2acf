import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import { FaultyFileSystem } from '../fs/faulty-file-system.js';
import type { FileSystem } from '../fs/file-system.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { replayLog } from './log-reader.js';
import type { LogRecord } from './log-reader.js';
import { LogWriter } from './log-writer.js';
import { recordSize } from './log-format.js';
import type { LogPosition } from './log-writer.js';
import { listSegments, segmentPath } from './segment-files.js';

interface Backend {
  fs: FaultyFileSystem;
  dir: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const backends: [string, () => Promise<Backend>][] = [
  ['memory', async () => ({ fs: new FaultyFileSystem(new MemoryFileSystem()), dir: '/disk/kdi/log' })],
  [
    'node',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'kdi-log-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new FaultyFileSystem(new NodeFileSystem()), dir: `${root}/kdi/log` };
    },
  ],
];

/** Deterministic payloads: record i has a size and content derived from i. */
function payloadFor(i: number, maxSize = 300): Uint8Array {
  const p = new Uint8Array((i * 7919) % maxSize);
  for (let k = 0; k < p.length; k++) p[k] = (i + k * 31) & 0xff;
  return p;
}

async function readAll(fs: FileSystem, dir: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  await replayLog(fs, dir, (r) => {
    out.push(r);
  });
  return out;
}

describe.each(backends)('LogWriter on %s', (_name, make) => {
  it('round-trips many records across segment rollovers, and continues after reopening', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir, { segmentBytes: 4096 });
    const n = 1500;
    const positions = await Promise.all(Array.from({ length: n }, (_, i) => w.append(payloadFor(i), { sync: i % 3 === 0 })));
    await w.close();
    expect(positions.map((p) => p.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const segments = await listSegments(fs, dir);
    expect(segments.length).toBeGreaterThan(20);
    expect(segments[0]).toBe(1);
    for (const id of segments) expect((await fs.stat(segmentPath(dir, id))).size).toBeLessThanOrEqual(4096);

    const records = await readAll(fs, dir);
    expect(records.length).toBe(n);
    const wrong = records.findIndex((r, i) => r.seq !== i + 1 || r.segmentId !== positions[i]!.segmentId || !Buffer.from(r.payload).equals(payloadFor(i)));
    expect(wrong, 'first record that differs').toBe(-1);

    const last = segments.at(-1)!;
    const w2 = await LogWriter.open(fs, dir, { segmentBytes: 4096, nextSeq: n + 1 });
    expect(w2.currentSegmentId).toBe(last + 1);
    expect(await w2.append(payloadFor(n))).toEqual({ segmentId: last + 1, seq: n + 1 });
    await w2.close();
    const again = await readAll(fs, dir);
    expect(again.length).toBe(n + 1);
    expect(again[n]!.payload).toEqual(payloadFor(n));
  });

  it('group commit: concurrent durable appends share syncs, one sync in flight at a time', async () => {
    const { fs, dir } = await make();
    fs.setDelay('sync', 3);
    const w = await LogWriter.open(fs, dir);
    fs.resetCounters();
    const pending: Promise<LogPosition>[] = [];
    // 40 waves of 10 appends, a macrotask apart: waves arrive while syncs run.
    for (let wave = 0; wave < 40; wave++) {
      for (let k = 0; k < 10; k++) pending.push(w.append(payloadFor(wave * 10 + k)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const positions = await Promise.all(pending);
    expect(positions.map((p) => p.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const syncs = fs.opStats('sync');
    expect(syncs.maxInFlight).toBe(1);
    expect(syncs.count).toBeLessThan(400 / 4);
    expect(fs.count('append')).toBe(syncs.count);
    await w.close();
    expect((await readAll(fs, dir)).map((r) => r.seq)).toEqual(positions.map((p) => p.seq));
  });

  it('coalesces records written together into one append call', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir);
    fs.resetCounters();
    await Promise.all(Array.from({ length: 100 }, (_, i) => w.append(payloadFor(i))));
    expect(fs.count('append')).toBe(1);
    expect(fs.count('sync')).toBe(1);
    await w.close();
  });

  it('sync=false resolves without fdatasync; sync() and close() make it durable', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir);
    fs.resetCounters();
    for (let i = 0; i < 50; i++) await w.append(payloadFor(i), { sync: false });
    expect(fs.count('sync')).toBe(0);
    expect(fs.count('append')).toBe(50);
    await w.sync();
    expect(fs.count('sync')).toBe(1);
    await w.sync(); // nothing new: no second fdatasync
    expect(fs.count('sync')).toBe(1);
    await w.append(payloadFor(50), { sync: false });
    await w.close();
    expect(fs.count('sync')).toBe(2);
    expect((await readAll(fs, dir)).length).toBe(51);
  });

  it('rollSegment starts a new segment; deleteSegmentsBefore removes older ones only', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir);
    expect(await w.rollSegment()).toBe(1); // empty segment: kept
    await w.append(payloadFor(1));
    const rolled = w.rollSegment();
    const after = w.append(payloadFor(2), { sync: false });
    expect(await rolled).toBe(2);
    expect((await after).segmentId).toBe(2);
    await w.append(payloadFor(3));
    expect(await w.rollSegment()).toBe(3);
    expect(await listSegments(fs, dir)).toEqual([1, 2, 3]);
    expect(await w.deleteSegmentsBefore(10)).toEqual([1, 2]); // never the open one
    expect(await listSegments(fs, dir)).toEqual([3]);
    await w.append(payloadFor(4));
    await w.close();
    const records = await readAll(fs, dir);
    expect(records.map((r) => [r.segmentId, r.seq])).toEqual([[3, 4]]);
  });

  it('refuses to open over existing segments without nextSeq, or to reuse a segment id', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir, { firstSegmentId: 5 });
    expect(w.currentSegmentId).toBe(5);
    await w.append(payloadFor(1));
    await w.close();
    const bad = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => isStorageError(e, 'invalid-argument'));
    await bad(LogWriter.open(fs, dir));
    await bad(LogWriter.open(fs, dir, { nextSeq: 2, firstSegmentId: 5 }));
    await bad(LogWriter.open(fs, dir, { nextSeq: 0 }));
    await bad(LogWriter.open(fs, dir, { nextSeq: 2, segmentBytes: 0 }));
    const w2 = await LogWriter.open(fs, dir, { nextSeq: 2 });
    expect(w2.currentSegmentId).toBe(6);
    await w2.close();
  });

  it('rejects calls after close', async () => {
    const { fs, dir } = await make();
    const w = await LogWriter.open(fs, dir);
    await w.append(payloadFor(1), { sync: false });
    const closing = w.close();
    await expect(w.append(payloadFor(2))).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
    await closing;
    await w.close();
    await expect(w.sync()).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
    await expect(w.rollSegment()).rejects.toSatisfy((e) => isStorageError(e, 'closed'));
    expect((await readAll(fs, dir)).length).toBe(1);
  });
});

describe('LogWriter on memory, crash after close', () => {
  it('close() leaves non-sync records durable', async () => {
    const mem = new MemoryFileSystem();
    const w = await LogWriter.open(mem, '/log');
    for (let i = 0; i < 10; i++) void w.append(payloadFor(i), { sync: false });
    await w.close();
    mem.crash();
    expect((await readAll(mem, '/log')).length).toBe(10);
  });

  it('non-sync records not yet synced are lost by a crash', async () => {
    const mem = new MemoryFileSystem();
    const w = await LogWriter.open(mem, '/log');
    await w.append(payloadFor(0));
    await w.append(payloadFor(1), { sync: false });
    mem.crash();
    expect((await readAll(mem, '/log')).map((r) => r.seq)).toEqual([1]);
  });
});

describe('LogWriter.onSync', () => {
  it('reports every fdatasync with the bytes and records it made durable', async () => {
    const dir = '/disk/kdi/log';
    const w = await LogWriter.open(new MemoryFileSystem(), dir);
    const samples: { seconds: number; bytes: number; records: number }[] = [];
    w.onSync = (s) => samples.push(s);
    // Ten concurrent durable appends share syncs (group commit); then one alone.
    const payloads = Array.from({ length: 10 }, (_, i) => payloadFor(i + 1));
    await Promise.all(payloads.map((p) => w.append(p)));
    await w.append(payloadFor(42));
    // A non-sync append makes no sync of its own; the next sync counts it.
    // A sync() waiting in the same batch as records adds none of its own.
    const last = w.append(payloadFor(43), { sync: false });
    await Promise.all([last, w.sync()]);
    await w.close();
    const all = [...payloads, payloadFor(42), payloadFor(43)];
    expect(samples.reduce((n, s) => n + s.records, 0)).toBe(all.length);
    expect(samples.reduce((n, s) => n + s.bytes, 0)).toBe(all.reduce((n, p) => n + recordSize(p.length), 0));
    expect(samples.length).toBeLessThan(all.length);
    for (const s of samples) expect(s.seconds).toBeGreaterThanOrEqual(0);
  });
});
