// Automatic splits (DESIGN §5 Split): a serving tablet whose disk size
// passes the threshold is split at the approximate median row of its disk
// data. Both halves share the parent's fragments until a compaction
// separates them, and until then each half reports the parent's full size;
// so every split is followed by a full compaction of both halves, and a
// half is not considered again before its compaction is done (otherwise
// the inflated size would split it again and again).
//
// Checks run on a timer (the engine serializes on its own schedule and
// does not announce it) and on demand (check()). One check at a time.

import type { Engine } from '@kdi/storage';
import type { TabletMap } from './tablet-map.js';
import { META_TABLE } from './tablet-meta.js';
import type { ServerLogger, SplitResult, TabletView } from './tablet-types.js';

/** What automatic splits need of the server. */
export interface SplitHost {
  readonly engine: Pick<Engine, 'tabletSizes' | 'approximateMedianRow'>;
  readonly map: TabletMap;
  readonly isOpen: boolean;
  splitTablet(id: string, row: Uint8Array): Promise<SplitResult>;
  compactTablet(id: string, full: boolean): Promise<TabletView>;
}

export interface SplitMonitorOptions {
  readonly thresholdBytes: number;
  /** 0: only when check() is called. */
  readonly intervalMs: number;
  readonly logger: ServerLogger;
  /** Told of every automatic split (the master will want to hear of them). */
  readonly onSplit?: ((split: SplitResult) => void) | undefined;
}

export class SplitMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SplitResult[]> | undefined;
  /** Halves whose separating compaction has not finished. */
  private readonly separating = new Set<string>();
  private readonly compactions = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly server: SplitHost,
    private readonly o: SplitMonitorOptions,
  ) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.check().catch((e: unknown) => this.o.logger.error({ err: e }, 'split check failed'));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** Splits every tablet over the threshold once; resolves with the splits made. */
  check(): Promise<SplitResult[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Halves still sharing fragments with their sibling (for status). */
  get pendingSeparations(): number {
    return this.separating.size;
  }

  /** Stops the timer and waits for the running check and the separating compactions. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await Promise.allSettled([...this.compactions]);
  }

  /** Waits for the separating compactions started so far. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.compactions]);
  }

  private async pass(): Promise<SplitResult[]> {
    const made: SplitResult[] = [];
    const { engine, map } = this.server;
    for (const entry of map.all()) {
      if (this.stopped || !this.server.isOpen) break;
      // The map may have changed while we awaited the previous split.
      if (map.get(entry.id) !== entry || entry.state !== 'serving' || entry.migrating === true || this.separating.has(entry.id)) continue;
      if (entry.table === META_TABLE) continue; // never split (DESIGN §7)
      if (engine.tabletSizes(entry.id).diskBytes <= this.o.thresholdBytes) continue;
      const row = engine.approximateMedianRow(entry.id);
      if (row === undefined) continue;
      let split: SplitResult;
      try {
        split = await this.server.splitTablet(entry.id, row);
      } catch (e) {
        this.o.logger.warn({ err: e, tabletId: entry.id }, 'automatic split failed');
        continue;
      }
      made.push(split);
      this.o.logger.info({ tabletId: split.parent, low: split.low.tabletId, high: split.high.tabletId }, 'tablet split automatically');
      this.o.onSplit?.(split);
      for (const half of [split.low.tabletId, split.high.tabletId]) this.separate(half);
    }
    return made;
  }

  private separate(tabletId: string): void {
    this.separating.add(tabletId);
    const job = this.server
      .compactTablet(tabletId, true)
      .then(() => undefined)
      .catch((e: unknown) => {
        // A half unloaded or split again meanwhile needs no separation.
        if (this.server.map.get(tabletId) !== undefined) this.o.logger.warn({ err: e, tabletId }, 'compaction after a split failed');
      })
      .finally(() => {
        this.separating.delete(tabletId);
        this.compactions.delete(job);
      });
    this.compactions.add(job);
  }
}
