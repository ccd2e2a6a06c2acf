// Group commit per table (DESIGN §4): applies that arrive while the log is
// busy with the previous group are gathered and logged as ONE record per
// table (log-batch.ts version 3), written and — when any of them asked —
// fdatasync'd together by the log writer. One group in flight at a time.
//
// Promises:
//  - append(table, payload, sync) resolves once the record holding the
//    payload is written (and synced when `sync`). A table's applies of one
//    group are one record in arrival order — replay applies them in the
//    order memory did. A group is synced as a whole when any of its applies
//    asked, so a non-sync apply in such a group waits for that sync too;
//  - within a group, waiters settle in arrival order, which is txn order
//    (txns are handed out in the same synchronous step as append): an apply
//    never becomes visible before an earlier-txn apply of the same group;
//  - a record that fails (the log writer failed) rejects the applies in it;
//    the writer is failed for good then, so later records fail too.

import type { LogWriter } from '../log/log-writer.js';
import { MAX_RECORD_PAYLOAD } from '../log/log-format.js';
import { encodeLogRecord } from './log-batch.js';

interface Arrival {
  readonly table: string;
  readonly payload: Buffer;
  readonly sync: boolean;
  resolve(r: { segmentId: number }): void;
  reject(e: unknown): void;
}

export class RecordCombiner {
  private queued: Arrival[] = [];
  private flushing = false;
  /** Appends made, and appends settled (written or failed), so far: handedOver waits for the second to reach the first. */
  private arrived = 0;
  private settled = 0;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(private readonly log: () => LogWriter) {}

  /** Logs an apply's version-2 payload with the other applies of its group; resolves with the segment it landed in. */
  append(table: string, payload: Buffer, sync: boolean): Promise<{ segmentId: number }> {
    this.arrived++;
    return new Promise((resolve, reject) => {
      this.queued.push({ table, payload, sync, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * Resolves once every append made before this call is settled (written,
   * or failed): after it, a log sync covers all of them.
   */
  handedOver(): Promise<void> {
    if (this.settled >= this.arrived) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.arrived, resolve }));
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queued.length > 0) {
        const group = this.queued;
        this.queued = [];
        const written = this.write(group);
        const results = await Promise.allSettled(written.map((w) => w.done));
        const outcome = new Map<Arrival, PromiseSettledResult<{ segmentId: number }>>();
        written.forEach((w, i) => {
          for (const a of w.arrivals) outcome.set(a, results[i]!);
        });
        // In arrival (= txn) order; each continuation runs in this order too.
        for (const a of group) {
          const r = outcome.get(a)!;
          if (r.status === 'fulfilled') a.resolve(r.value);
          else a.reject(r.reason);
        }
        // Groups settle in arrival order, so a count says how far they got.
        this.settled += group.length;
        while (this.waiters.length > 0 && this.waiters[0]!.upTo <= this.settled) this.waiters.shift()!.resolve();
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Hands the group to the log as one record per table, each in arrival
   * order (split only at the payload limit). The whole group is synced
   * when any apply in it asked: records of different tables reach the log
   * in table order, not txn order, so "everything up to this txn is
   * durable" holds only if the group is durable as a whole.
   */
  private write(group: readonly Arrival[]): { arrivals: Arrival[]; done: Promise<{ segmentId: number }> }[] {
    const sync = group.some((a) => a.sync);
    const records = new Map<string, { arrivals: Arrival[]; bytes: number }[]>();
    for (const a of group) {
      let parts = records.get(a.table);
      if (parts === undefined) records.set(a.table, (parts = []));
      let last = parts[parts.length - 1];
      if (last === undefined || (last.arrivals.length > 0 && last.bytes + a.payload.length > MAX_RECORD_PAYLOAD)) parts.push((last = { arrivals: [], bytes: 0 }));
      last.arrivals.push(a);
      last.bytes += a.payload.length;
    }
    const log = this.log();
    const out: { arrivals: Arrival[]; done: Promise<{ segmentId: number }> }[] = [];
    for (const [table, parts] of records) {
      for (const { arrivals } of parts) {
        const record = encodeLogRecord(
          table,
          arrivals.map((a) => a.payload),
        );
        out.push({ arrivals, done: log.append(record, { sync }) });
      }
    }
    return out;
  }
}
