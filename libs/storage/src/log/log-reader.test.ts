import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError, StorageError } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { encodeRecord, recordSize } from './log-format.js';
import { replayLog } from './log-reader.js';
import type { LogRecord, ReplayResult } from './log-reader.js';
import { LogWriter } from './log-writer.js';
import { segmentPath } from './segment-files.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A fresh filesystem and log directory. */
type MakeDir = () => Promise<{ fs: FileSystem; dir: string }>;
const backends: [string, MakeDir][] = [
  ['memory', async () => ({ fs: new MemoryFileSystem(), dir: '/log' })],
  [
    'node',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'kdi-replay-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new NodeFileSystem(), dir: `${root}/log` };
    },
  ],
];

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function replay(fs: FileSystem, dir: string, opts = {}): Promise<{ records: LogRecord[]; result: ReplayResult }> {
  const records: LogRecord[] = [];
  const result = await replayLog(fs, dir, (r) => void records.push(r), opts);
  return { records, result };
}

async function writeLog(fs: FileSystem, dir: string, payloads: string[], nextSeq = 1): Promise<void> {
  const w = await LogWriter.open(fs, dir, { nextSeq });
  await Promise.all(payloads.map((p) => w.append(enc(p))));
  await w.close();
}

async function corruptionOf(p: Promise<unknown>): Promise<StorageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isStorageError(e, 'corruption')) throw new Error(`expected a corruption error, got ${String(e)}`);
  return e;
}

const PAYLOADS = ['first record', 'second', '', 'fourth, a little longer than the others', 'fifth and last'];
/** Offset of record i in a segment holding PAYLOADS. */
const offsetOf = (i: number) => PAYLOADS.slice(0, i).reduce((n, p) => n + recordSize(enc(p).length), 0);

describe.each(backends)('replayLog on %s', (_name, make) => {
  it('replays nothing from a missing directory or empty segments', async () => {
    const { fs, dir } = await make();
    expect(await replay(fs, dir)).toEqual({ records: [], result: { lastSegmentId: 0, lastSeq: 0, truncatedBytes: 0, tornTailBytes: 0, records: 0 } });
    await (await LogWriter.open(fs, dir)).close();
    await writeLog(fs, dir, ['a', 'b'], 1);
    await (await LogWriter.open(fs, dir, { nextSeq: 3 })).close();
    const { records, result } = await replay(fs, dir);
    expect(records.map((r) => [r.segmentId, r.seq, dec(r.payload)])).toEqual([
      [2, 1, 'a'],
      [2, 2, 'b'],
    ]);
    expect(result).toEqual({ lastSegmentId: 3, lastSeq: 2, truncatedBytes: 0, tornTailBytes: 0, records: 2 });
    expect((await replay(fs, dir, { fromSegmentId: 3 })).records).toEqual([]);
  });

  it('truncates a torn tail at every cut point of the last record, then accepts appends', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const path = segmentPath(dir, 1);
    const full = await fs.readFile(path);
    const lastStart = offsetOf(PAYLOADS.length - 1);
    for (let cut = lastStart + 1; cut < full.length; cut++) {
      await fs.writeFileAtomic(path, full.subarray(0, cut));
      for (const name of await fs.list(dir)) if (name !== '0000000000000001.log') await fs.unlink(`${dir}/${name}`);

      const { records, result } = await replay(fs, dir);
      expect(records.map((r) => dec(r.payload))).toEqual(PAYLOADS.slice(0, -1));
      expect(result.truncatedBytes).toBe(cut - lastStart);
      expect((await fs.stat(path)).size).toBe(lastStart);

      await writeLog(fs, dir, ['after'], result.lastSeq + 1);
      const again = await replay(fs, dir);
      expect(again.records.map((r) => dec(r.payload))).toEqual([...PAYLOADS.slice(0, -1), 'after']);
      expect(again.result.truncatedBytes).toBe(0);
    }
  });

  it('treats a flipped bit in the last record as a torn tail', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const path = segmentPath(dir, 1);
    const bytes = await fs.readFile(path);
    const at = offsetOf(PAYLOADS.length - 1) + 30;
    bytes[at] = bytes[at]! ^ 0x10;
    await fs.writeFileAtomic(path, bytes);
    const { records, result } = await replay(fs, dir);
    expect(records.length).toBe(PAYLOADS.length - 1);
    expect(result.truncatedBytes).toBe(bytes.length - offsetOf(PAYLOADS.length - 1));
  });

  it('refuses to skip a damaged record that has valid records after it', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const path = segmentPath(dir, 1);
    const good = await fs.readFile(path);
    // Every byte of the middle record, header and payload alike.
    for (let at = offsetOf(1); at < offsetOf(2); at++) {
      const bytes = good.slice();
      bytes[at] = bytes[at]! ^ 0x01;
      await fs.writeFileAtomic(path, bytes);
      const err = await corruptionOf(replay(fs, dir));
      expect(err.path).toBe(path);
      expect(err.message).toContain(path);
      expect(err.message).toContain(`offset ${offsetOf(1)}`);
      expect(err.message).toContain(`valid record follows at offset ${offsetOf(2)}`);
    }
    // Nothing was truncated by the refused replays.
    await fs.writeFileAtomic(path, good);
    expect((await replay(fs, dir)).records.length).toBe(PAYLOADS.length);
  });

  it('refuses a bad record in a segment that is not the last', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    await writeLog(fs, dir, ['later'], PAYLOADS.length + 1);
    const path = segmentPath(dir, 1);
    const bytes = await fs.readFile(path);
    await fs.writeFileAtomic(path, bytes.subarray(0, bytes.length - 3));
    const err = await corruptionOf(replay(fs, dir));
    expect(err.message).toContain(path);
    expect(err.message).toContain('not the last');
    expect((await fs.stat(path)).size).toBe(bytes.length - 3);
  });

  it('refuses sequence numbers that go backwards', async () => {
    const { fs, dir } = await make();
    await fs.mkdir(dir);
    const seg = (id: number, seqs: number[]) => {
      const buf = new Uint8Array(seqs.length * recordSize(1));
      const view = new DataView(buf.buffer);
      let off = 0;
      for (const s of seqs) off = encodeRecord(buf, view, off, id, s, Uint8Array.of(s));
      return buf;
    };
    await fs.writeFileAtomic(segmentPath(dir, 1), seg(1, [1, 2, 5]));
    await fs.writeFileAtomic(segmentPath(dir, 2), seg(2, [6, 4]));
    const err = await corruptionOf(replay(fs, dir));
    expect(err.message).toContain(segmentPath(dir, 2));
    expect(err.message).toContain('sequence number 4 does not follow 6');
    await fs.writeFileAtomic(segmentPath(dir, 2), seg(2, [5]));
    await corruptionOf(replay(fs, dir));
  });

  it('refuses a record copied in from another segment', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, ['one', 'two']);
    await writeLog(fs, dir, ['three'], 3);
    const s1 = await fs.readFile(segmentPath(dir, 1));
    const s2 = await fs.readFile(segmentPath(dir, 2));
    const mixed = new Uint8Array(s1.length + s2.length);
    mixed.set(s1);
    mixed.set(s2, s1.length);
    await fs.writeFileAtomic(segmentPath(dir, 1), mixed);
    const err = await corruptionOf(replay(fs, dir));
    expect(err.message).toContain('names segment 2, not 1');
  });

  it('read-only: a torn tail is the end of the log and the file is left byte for byte', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const path = segmentPath(dir, 1);
    const full = await fs.readFile(path);
    const lastStart = offsetOf(PAYLOADS.length - 1);
    for (const cut of [lastStart + 1, lastStart + 24, full.length - 1]) {
      const torn = full.slice(0, cut);
      await fs.writeFileAtomic(path, torn);
      const { records, result } = await replay(fs, dir, { readOnly: true });
      expect(records.map((r) => dec(r.payload))).toEqual(PAYLOADS.slice(0, -1));
      expect(result.tornTailBytes).toBe(cut - lastStart);
      expect(result.truncatedBytes).toBe(0);
      expect(Buffer.from(await fs.readFile(path)).equals(Buffer.from(torn))).toBe(true);
    }
  });

  it('read-only: mid-log damage is still refused, naming the file, and nothing is written', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const path = segmentPath(dir, 1);
    const bytes = await fs.readFile(path);
    const at = offsetOf(3) + 30;
    bytes[at] = bytes[at]! ^ 0x01;
    await fs.writeFileAtomic(path, bytes);
    const err = await corruptionOf(replay(fs, dir, { readOnly: true }));
    expect(err.path).toBe(path);
    expect(err.message).toContain(`offset ${offsetOf(3)}`);
    expect(Buffer.from(await fs.readFile(path)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('awaits an asynchronous onRecord and stops on its error', async () => {
    const { fs, dir } = await make();
    await writeLog(fs, dir, PAYLOADS);
    const seen: number[] = [];
    await replayLog(fs, dir, async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(r.seq);
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await expect(
      replayLog(fs, dir, (r) => {
        if (r.seq === 2) throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
  });
});
