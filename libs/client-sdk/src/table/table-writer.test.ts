// The writer's batching against a host that records batches and settles
// them when the test says: sizes, the timer, flow control, errors.

import { KdiError, type Cell } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import type { CallScope } from './call-scope.js';
import type { ApplyResult } from './table.js';
import { TableWriter } from './table-writer.js';

class RecordingHost {
  readonly name = 't';
  readonly batches: Cell[][] = [];
  readonly pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #arrived: Array<() => void> = [];
  autoSettle = true;

  applyBatch(batch: readonly Cell[], _opts: unknown, _scope: CallScope): Promise<ApplyResult> {
    this.batches.push([...batch]);
    for (const w of this.#arrived.splice(0)) w();
    if (this.autoSettle) return Promise.resolve({ commitTxn: 1, parts: [] });
    return new Promise((resolve, reject) => this.pending.push({ resolve: () => resolve({ commitTxn: 1, parts: [] }), reject }));
  }

  /** Resolves once `n` batches have arrived. */
  async batchesArrived(n: number): Promise<void> {
    while (this.batches.length < n) await new Promise<void>((r) => this.#arrived.push(r));
  }
}

const cell = (i: number) => ({ row: `r${String(i).padStart(5, '0')}`, column: 'f:q', timestamp: 1, value: 'x'.repeat(100) });

describe('TableWriter', () => {
  it('flushes when the buffer reaches maxBytes, and the rest on close', async () => {
    const host = new RecordingHost();
    const w = new TableWriter(host, { maxBytes: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) await w.add(cell(i));
    expect(host.batches.length).toBeGreaterThanOrEqual(2);
    await w.close();
    expect(host.batches.flat().length).toBe(25);
    expect(w.written).toBe(25);
    expect(host.batches.every((b) => b.length <= 10)).toBe(true);
    await expect(w.add(cell(99))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('flushes a small buffer on its timer', async () => {
    const host = new RecordingHost();
    const w = new TableWriter(host, { maxBytes: 1 << 20, flushIntervalMs: 5 });
    await w.add([cell(1), cell(2)]);
    await host.batchesArrived(1);
    expect(host.batches[0]!.length).toBe(2);
    await w.close();
  });

  it('holds add() while maxInFlight batches are out and the buffer is full (flow control)', async () => {
    const host = new RecordingHost();
    host.autoSettle = false;
    const w = new TableWriter(host, { maxBytes: 500, maxInFlight: 1, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await w.add(cell(i)); // ~117 bytes each: the fifth sends the first batch
    expect(host.batches.length).toBe(1);
    let added = false;
    const blocked = (async () => {
      for (let i = 5; i < 10; i++) await w.add(cell(i));
      added = true;
    })();
    await new Promise((r) => setImmediate(r));
    expect(added).toBe(false);
    expect(host.batches.length).toBe(1);
    host.pending.shift()!.resolve();
    await host.batchesArrived(2);
    host.pending.shift()!.resolve();
    await blocked;
    expect(added).toBe(true);
    const closing = w.close();
    await new Promise((r) => setImmediate(r));
    for (const p of host.pending.splice(0)) p.resolve();
    await closing;
    expect(host.batches.flat().length).toBe(10);
  });

  it('keeps the first failure and rejects every later call with it', async () => {
    const host = new RecordingHost();
    host.autoSettle = false;
    const w = new TableWriter(host, { maxBytes: 200, maxInFlight: 2, flushIntervalMs: 60_000 });
    await w.add([cell(1), cell(2)]);
    host.pending.shift()!.reject(new KdiError('INVALID_ARGUMENT', 'family x is not in the schema'));
    await expect(w.flush()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.add(cell(3))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(w.close()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses options below 1', () => {
    expect(() => new TableWriter(new RecordingHost(), { maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
