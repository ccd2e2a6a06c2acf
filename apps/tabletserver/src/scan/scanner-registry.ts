// The server-side scanners of one tablet server: a bounded LRU with idle
// expiry (DESIGN §4). Each scanner holds engine resources (fragment
// references, a merge position), so the number is capped: opening one
// past the cap closes the least recently used; one unused for idleMs is
// closed by the sweeper (or on the next lookup). A closed or unknown
// scanner is NOT_FOUND with a message that says how to continue (the
// resume token of its last page).

import { randomBytes } from 'node:crypto';
import { KdiError } from '@kdi/protocol';
import type { ServerScanner } from './server-scanner.js';

export interface ScannerRegistryOptions {
  /** At most this many open scanners; 0 disables server-side scanners. */
  readonly maxScanners: number;
  readonly idleMs: number;
  /** Monotonic milliseconds; default performance.now. */
  readonly now?: () => number;
}

interface Slot {
  readonly scanner: ServerScanner;
  lastUsed: number;
}

export class ScannerRegistry {
  /** Map order is recency: the first entry is the least recently used. */
  private readonly slots = new Map<string, Slot>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private evictions = 0;
  private expirations = 0;

  constructor(private readonly o: ScannerRegistryOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /** A fresh unguessable scanner id. */
  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  /** Closes idle scanners every idleMs / 2 (the timer does not keep the process alive). */
  startSweeper(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.floor(this.o.idleMs / 2)));
    this.timer.unref();
  }

  /** Refuses (FAILED_PRECONDITION) when server-side scanners are disabled (maxScanners 0). */
  checkEnabled(): void {
    if (this.o.maxScanners === 0) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        'server-side scanners are disabled on this server (KDI_TS_SCANNER_CACHE_SIZE=0); page with POST /v1/tables/{table}/scan and resume tokens',
      );
    }
  }

  add(scanner: ServerScanner): void {
    this.checkEnabled();
    this.sweep();
    while (this.slots.size >= this.o.maxScanners) {
      const oldest = this.slots.keys().next().value as string;
      this.closeSlot(oldest);
      this.evictions++;
    }
    this.slots.set(scanner.id, { scanner, lastUsed: this.now() });
  }

  /** The scanner, marked as just used; NOT_FOUND when unknown, closed, evicted or expired. */
  get(id: string): ServerScanner {
    this.sweep();
    const slot = this.slots.get(id);
    if (slot === undefined) {
      throw new KdiError(
        'NOT_FOUND',
        `scanner ${id} does not exist (it may have expired after ${this.o.idleMs} ms idle, or been evicted); continue with the resume token of its last page via POST /v1/tables/{table}/scan`,
        { details: { scannerId: id } },
      );
    }
    slot.lastUsed = this.now();
    this.slots.delete(id);
    this.slots.set(id, slot);
    return slot.scanner;
  }

  /** Closes and forgets a scanner; false when it was not there. */
  remove(id: string): boolean {
    if (!this.slots.has(id)) return false;
    this.closeSlot(id);
    return true;
  }

  /** Closes every scanner of `table` (its tablets changed hands: held readers would be stale). */
  closeTable(table: string): void {
    for (const [id, slot] of [...this.slots]) if (slot.scanner.table === table) this.closeSlot(id);
  }

  /** Closes scanners idle for idleMs or more. */
  sweep(): void {
    const cutoff = this.now() - this.o.idleMs;
    for (const [id, slot] of [...this.slots]) {
      if (slot.lastUsed > cutoff) break; // recency order: the rest are newer
      this.closeSlot(id);
      this.expirations++;
    }
  }

  closeAll(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const id of [...this.slots.keys()]) this.closeSlot(id);
  }

  get size(): number {
    return this.slots.size;
  }

  stats(): { open: number; evictions: number; expirations: number } {
    return { open: this.slots.size, evictions: this.evictions, expirations: this.expirations };
  }

  private closeSlot(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    slot.scanner.close();
  }
}
