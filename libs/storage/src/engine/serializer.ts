// Serialization (DESIGN §5 Memory fragments): every table's memory data
// becomes one disk fragment per (tablet, locality group), swapped into the
// chains in one synchronous step, then the manifest is saved and log
// segments that hold nothing unserialized are deleted. One serialization
// at a time (its queue); schema changes and unloads wait for it. Also the
// back-pressure wait: applies hold off while memory is over its limit.

import type { Clock } from '@kdi/primitives';
import { busy } from '../errors.js';
import type { LogWriter } from '../log/log-writer.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { DiskFragment } from './disk-fragment.js';
import type { TabletRegistry } from './tablet-registry.js';
import { groupsWithCells, type Table, type Tablet } from './tablet.js';
import type { FragmentSources, FragmentWriteMode } from './write-fragment.js';

/** What serialization needs from the engine. */
export interface SerializerHost {
  readonly registry: TabletRegistry;
  log(): LogWriter;
  checkOpen(): void;
  newMemory(): MemoryFragment;
  writeFragment(tablet: Tablet, group: number, src: FragmentSources, how: FragmentWriteMode): Promise<DiskFragment | undefined>;
  /** Oldest log segment that may hold data not yet in a disk fragment. */
  logFloor(): number;
  /** Of a log floor: how far segments may be deleted (publication keeps those META may need). */
  deletableLogFloor(floor: number): number;
  saveManifest(): Promise<void>;
  /** Called after a serialization that moved data to disk (e.g. to start compactions). */
  serialized(): void;
}

/** How often a back-pressure wait looks at memory again. */
const POLL_MS = 25;

export class Serializer {
  readonly queue = new SerialQueue();

  constructor(private readonly host: SerializerHost) {}

  /** Bytes held by memory fragments of every table. */
  memoryBytes(): number {
    let n = 0;
    for (const t of this.host.registry.tables.values()) {
      n += t.active.bytes;
      for (const f of t.frozen) n += f.bytes;
    }
    return n;
  }

  /**
   * Back-pressure: resolves once memory holds less than `limit` bytes,
   * calling `poll` (which may throw, e.g. when the engine closed) while it
   * waits; fails 'busy' after `maxWaitMs` on `clock`'s monotonic reading.
   * Checks every POLL_MS of that clock (a ManualClock moves only when told).
   */
  async waitForMemory(limit: number, maxWaitMs: number, clock: Clock, poll: () => void): Promise<void> {
    if (this.memoryBytes() < limit) return;
    const deadline = clock.monotonicMs() + maxWaitMs;
    while (this.memoryBytes() >= limit) {
      poll();
      const left = deadline - clock.monotonicMs();
      if (left <= 0) {
        throw busy(`memory fragments hold ${this.memoryBytes()} bytes, over the ${limit}-byte limit, and did not drain within ${maxWaitMs} ms; retry later`, 1000);
      }
      await clock.sleep(Math.min(left, POLL_MS));
    }
  }

  run(): Promise<void> {
    return this.queue.run(async () => {
      const { host } = this;
      host.checkOpen();
      const work: [Table, MemoryFragment][] = [];
      for (const table of host.registry.tables.values()) {
        if (table.active.cellCount > 0) {
          table.active.freeze();
          table.frozen.push(table.active);
          table.active = host.newMemory();
        }
        for (const f of table.frozen) work.push([table, f]);
      }
      if (work.length === 0) return;
      await host.log().rollSegment();
      for (const [table, mem] of work) {
        const made: [Tablet, number, DiskFragment][] = [];
        for (const tablet of table.tablets) {
          for (const g of groupsWithCells(tablet, mem)) {
            const f = await host.writeFragment(tablet, g, { memory: mem, disks: [] }, { dropErasures: false, purgeByVersion: false });
            if (f) made.push([tablet, g, f]);
          }
        }
        // One synchronous swap: scans see the memory fragment or its fragments, never both or neither.
        for (const [tablet, g, f] of made) this.appendToChain(tablet, g, f);
        table.frozen = table.frozen.filter((x) => x !== mem);
        // Rows whose last change just left memory take their tablet's floor
        // from now on (row-txns.ts): it rises to cover them.
        for (const t of table.tablets) if (mem.maxTxn > t.floorTxn) t.floorTxn = mem.maxTxn;
      }
      const floor = host.logFloor();
      await host.saveManifest();
      await host.log().deleteSegmentsBefore(host.deletableLogFloor(floor));
      host.serialized();
    });
  }

  /**
   * Appends a new fragment (holding one reference) to a tablet's group
   * chain. A tablet split meanwhile hands it to its halves (each reads
   * only its rows of it); a dropped one lets it go. Groups cannot have
   * changed: schema changes wait for serializations.
   */
  private appendToChain(tablet: Tablet, group: number, f: DiskFragment): void {
    const current = this.host.registry.isCurrent(tablet);
    if (current) tablet.chains[group]!.fragments.push(f);
    else for (const s of tablet.successors ?? []) this.appendToChain(s, group, f.ref());
    if (!current) f.unref();
  }
}
