// Fault tests: a write, sync or segment switch fails (ENOSPC, EIO). The
// waiters of that flush reject, the writer refuses every later call, and a
// replay (which cuts any partial record) followed by a new writer recovers
// every acknowledged record.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.js';
import { FaultyFileSystem } from '../fs/faulty-file-system.js';
import type { FaultRule } from '../fs/faulty-file-system.js';
import { fsErrorCode } from '../fs/fs-error.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { replayLog } from './log-reader.js';
import type { ReplayResult } from './log-reader.js';
import { LogWriter } from './log-writer.js';
import type { LogPosition } from './log-writer.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const backends: [string, () => Promise<{ fs: FaultyFileSystem; dir: string; crash?: () => void }>][] = [
  [
    'memory',
    async () => {
      const mem = new MemoryFileSystem();
      return { fs: new FaultyFileSystem(mem), dir: '/log', crash: () => mem.crash() };
    },
  ],
  [
    'node',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'kdi-logfault-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return { fs: new FaultyFileSystem(new NodeFileSystem()), dir: `${root}/log` };
    },
  ],
];

const payload = (i: number) => new TextEncoder().encode(`record ${i} `.repeat(1 + (i % 5)));

type Outcome = { ok: true; pos: LogPosition } | { ok: false; error: unknown };
const outcome = (p: Promise<LogPosition>): Promise<Outcome> =>
  p.then(
    (pos) => ({ ok: true as const, pos }),
    (error: unknown) => ({ ok: false as const, error }),
  );

async function seqsInLog(fs: FaultyFileSystem, dir: string): Promise<{ seqs: number[]; result: ReplayResult }> {
  const seqs: number[] = [];
  const result = await replayLog(fs, dir, (r) => {
    expect(r.payload).toEqual(payload(r.seq));
    seqs.push(r.seq);
  });
  return { seqs, result };
}

const cases: [string, FaultRule, boolean][] = [
  ['ENOSPC on append, after a short write', { op: 'append', error: 'ENOSPC', partial: true }, true],
  ['ENOSPC on append, nothing written', { op: 'append', error: 'ENOSPC' }, false],
  ['EIO on sync', { op: 'sync', error: 'EIO' }, false],
];

describe.each(backends)('LogWriter faults on %s', (_name, make) => {
  it.each(cases)('%s: waiters reject, the writer stays failed, replay recovers every ack', async (_c, rule, torn) => {
    const { fs, dir, crash } = await make();
    const w = await LogWriter.open(fs, dir, { segmentBytes: 1 << 20 });
    for (let i = 1; i <= 20; i++) await w.append(payload(i));
    fs.addRule(rule);
    const failing = await Promise.all(Array.from({ length: 9 }, (_, k) => outcome(w.append(payload(21 + k), { sync: k % 2 === 0 }))));
    const code = rule.error;
    // The whole flush shares the fate of its one write (and, for sync waiters, its sync).
    for (const [k, o] of failing.entries()) {
      const nonSyncWritten = rule.op === 'sync' && k % 2 === 1;
      if (nonSyncWritten) {
        expect(o.ok).toBe(true);
        continue;
      }
      expect(o.ok).toBe(false);
      if (!o.ok) {
        expect(isStorageError(o.error, 'io')).toBe(true);
        expect(fsErrorCode(o.error)).toBe(code);
      }
    }
    expect(w.failed).toBeDefined();
    fs.clearRules();
    const later = await outcome(w.append(payload(99)));
    expect(later.ok).toBe(false);
    if (!later.ok) {
      expect(isStorageError(later.error, 'io')).toBe(true);
      expect(fsErrorCode(later.error)).toBe(code);
      expect((later.error as Error).message).toContain('earlier failure');
    }
    await expect(w.sync()).rejects.toSatisfy((e) => isStorageError(e, 'io'));
    await expect(w.rollSegment()).rejects.toSatisfy((e) => isStorageError(e, 'io'));
    await w.close();

    crash?.();
    const { seqs, result } = await seqsInLog(fs, dir);
    // Every acknowledged record; beyond those only a prefix of the failed flush.
    expect(seqs.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBeLessThanOrEqual(29);
    if (torn && crash === undefined) expect(result.truncatedBytes).toBeGreaterThan(0);

    const w2 = await LogWriter.open(fs, dir, { nextSeq: result.lastSeq + 1 });
    const next = result.lastSeq + 1;
    expect((await w2.append(payload(next))).seq).toBe(next);
    await w2.close();
    const after = await seqsInLog(fs, dir);
    expect(after.seqs).toEqual([...seqs, next]);
    expect(after.result.truncatedBytes).toBe(0);
  });

  it('a failure to create the next segment fails the writer; earlier segments stay whole', async () => {
    const { fs, dir, crash } = await make();
    const w = await LogWriter.open(fs, dir, { segmentBytes: 200 });
    fs.addRule({ op: 'open', path: /\.log$/, error: 'ENOSPC', times: Infinity });
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome(w.append(payload(i + 1)))));
    const acked = outcomes.filter((o) => o.ok).length;
    expect(acked).toBeGreaterThan(0);
    expect(acked).toBeLessThan(12);
    expect(outcomes.slice(0, acked).every((o) => o.ok)).toBe(true);
    expect(outcomes.slice(acked).every((o) => !o.ok && fsErrorCode(o.error) === 'ENOSPC')).toBe(true);
    await w.close();
    fs.clearRules();
    crash?.();
    const { seqs } = await seqsInLog(fs, dir);
    expect(seqs).toEqual(Array.from({ length: acked }, (_, i) => i + 1));
  });
});
