// The tablet server's own metrics (DESIGN §15), beside the chassis'
// request counts and latencies per route template and the process
// metrics:
//  - cells written and read;
//  - the server's state read at scrape time: tablets by state, memory and
//    disk fragment bytes, applies in flight, busy rejections, scanners,
//    block cache;
//  - the log: fdatasync latency, and the bytes and records each sync made
//    durable (the group commit's batch size) — one observation per sync;
//  - compaction: chains waiting for it, compactions run, bytes read and
//    written;
//  - per data directory: free and total bytes of its filesystem, bytes of
//    the files under it (stats/disk-usage.ts);
//  - in a cluster: the time left of the server's lease on the lock service.
// The engine reports plain numbers and callbacks (it knows no metrics
// library); they become metrics here.

import { Counter, Gauge, Histogram, type MetricsRegistry } from '@kdi/service-kit';
import type { BlockCache, LogSyncSample } from '@kdi/storage';
import type { ScanService } from '../scan/scan-service.js';
import type { DiskUsage } from '../stats/disk-usage.js';

const DISK_STATES = ['ok', 'high-water', 'full'] as const;
import type { TabletServer } from '../tablets/tablet-server.js';

const SYNC_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const BATCH_BYTES_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
const BATCH_RECORDS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface TabletMetricsSources {
  readonly server: TabletServer;
  readonly scans: ScanService;
  readonly cache?: BlockCache | undefined;
  /** The server's data directories (one per disk) and their usage. */
  readonly disks: DiskUsage;
  /** In a cluster: ms left of the lease (0 once lost); undefined before the server joined. */
  readonly leaseRemainingMs?: (() => number | undefined) | undefined;
}

export class TabletServerMetrics {
  private readonly cellsApplied: Counter;
  private readonly cellsScanned: Counter;
  private readonly tablets: Gauge<'state'>;
  private readonly memoryBytes: Gauge;
  private readonly diskBytes: Gauge;
  private readonly inFlight: Gauge;
  private readonly busy: Gauge;
  private readonly scanners: Gauge;
  private readonly cacheHitRatio: Gauge;
  private readonly cacheBytes: Gauge;
  private readonly syncSeconds: Histogram;
  private readonly syncBytes: Histogram;
  private readonly syncRecords: Histogram;
  private readonly compactionPending: Gauge;
  private readonly compactions: Gauge;
  private readonly compactionRead: Gauge;
  private readonly compactionWritten: Gauge;
  private readonly diskFree: Gauge<'dir'>;
  private readonly diskTotal: Gauge<'dir'>;
  private readonly diskKdi: Gauge<'dir'>;
  private readonly diskState: Gauge<'dir' | 'state'>;
  private readonly leaseRemaining: Gauge | undefined;

  constructor(
    registry: MetricsRegistry,
    private readonly sources: TabletMetricsSources,
  ) {
    const registers = [registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.cellsApplied = counter('tabletserver_cells_applied_total', 'Cells in applies that succeeded.');
    this.cellsScanned = counter('tabletserver_cells_scanned_total', 'Cells returned by scan pages.');
    this.tablets = new Gauge({ name: 'tabletserver_tablets', help: 'Tablets on this server by state.', labelNames: ['state'], registers });
    this.memoryBytes = gauge('tabletserver_memory_fragment_bytes', 'Bytes held by memory fragments.');
    this.diskBytes = gauge('tabletserver_disk_fragment_bytes', 'Fragment file bytes over the tablets (shared fragments count per tablet).');
    this.inFlight = gauge('tabletserver_applies_in_flight', 'Applies waiting for the log or for memory.');
    this.busy = gauge('tabletserver_busy_rejections', 'Applies refused with RESOURCE_EXHAUSTED since start.');
    this.scanners = gauge('tabletserver_scanners_open', 'Open server-side scanners.');
    this.cacheHitRatio = gauge('tabletserver_block_cache_hit_ratio', 'Block cache hits / lookups since start.');
    this.cacheBytes = gauge('tabletserver_block_cache_bytes', 'Bytes held by the block cache.');
    this.syncSeconds = new Histogram({ name: 'tabletserver_log_sync_seconds', help: 'Latency of one fdatasync of the log.', buckets: SYNC_SECONDS_BUCKETS, registers });
    this.syncBytes = new Histogram({
      name: 'tabletserver_log_sync_batch_bytes',
      help: 'Log bytes one fdatasync made durable (group commit batch).',
      buckets: BATCH_BYTES_BUCKETS,
      registers,
    });
    this.syncRecords = new Histogram({
      name: 'tabletserver_log_sync_batch_records',
      help: 'Log records one fdatasync made durable (group commit batch).',
      buckets: BATCH_RECORDS_BUCKETS,
      registers,
    });
    this.compactionPending = gauge('tabletserver_compaction_pending', 'Fragment chains the compaction picker would compact now (the compaction queue).');
    this.compactions = gauge('tabletserver_compactions', 'Compactions run since the engine opened.');
    this.compactionRead = gauge('tabletserver_compaction_read_bytes', 'Fragment file bytes compactions read since the engine opened.');
    this.compactionWritten = gauge('tabletserver_compaction_written_bytes', 'Fragment file bytes compactions wrote since the engine opened.');
    this.diskFree = new Gauge({ name: 'tabletserver_disk_free_bytes', help: 'Bytes free (for this user) on the filesystem of a data directory.', labelNames: ['dir'], registers });
    this.diskTotal = new Gauge({ name: 'tabletserver_disk_total_bytes', help: 'Size of the filesystem of a data directory.', labelNames: ['dir'], registers });
    this.diskKdi = new Gauge({ name: 'tabletserver_disk_kdi_bytes', help: 'Bytes of the files under a data directory.', labelNames: ['dir'], registers });
    this.diskState = new Gauge({
      name: 'tabletserver_disk_state',
      help: "A data directory's state (1 for the current one): ok, high-water (takes no new fragments) or full (a write failed for lack of space).",
      labelNames: ['dir', 'state'],
      registers,
    });
    this.leaseRemaining =
      sources.leaseRemainingMs === undefined ? undefined : gauge('tabletserver_lease_remaining_seconds', 'Time left of the server lease on the lock service (0 once lost).');
  }

  applied(cells: number): void {
    this.cellsApplied.inc(cells);
  }

  scanned(cells: number): void {
    this.cellsScanned.inc(cells);
  }

  /** One fdatasync of the log (the engine's onLogSync). */
  logSynced(sample: LogSyncSample): void {
    this.syncSeconds.observe(sample.seconds);
    this.syncBytes.observe(sample.bytes);
    this.syncRecords.observe(sample.records);
  }

  /** Sets the gauges as of now (the chassis' onScrape). */
  async scrape(): Promise<void> {
    const { server, scans, cache } = this.sources;
    const status = server.status();
    for (const state of ['loading', 'serving', 'unloading'] as const) {
      this.tablets.set({ state }, status.tablets.filter((t) => t.state === state).length);
    }
    this.memoryBytes.set(status.memoryBytes);
    this.diskBytes.set(status.diskBytes);
    this.inFlight.set(status.appliesInFlight);
    this.busy.set(status.busyRejections);
    this.scanners.set(scans.scanners.size);
    if (cache !== undefined) {
      const s = cache.stats;
      this.cacheHitRatio.set(s.hitRatio);
      this.cacheBytes.set(s.bytes);
    }
    const compaction = server.engine.compactionStats();
    this.compactionPending.set(compaction.pending);
    this.compactions.set(compaction.compactions);
    this.compactionRead.set(compaction.bytesRead);
    this.compactionWritten.set(compaction.bytesWritten);
    const lease = this.sources.leaseRemainingMs?.();
    if (this.leaseRemaining !== undefined && lease !== undefined) this.leaseRemaining.set(lease / 1000);
    for (const d of await this.sources.disks.statuses()) {
      if (d.state !== undefined) for (const state of DISK_STATES) this.diskState.set({ dir: d.path, state }, d.state === state ? 1 : 0);
      // A filesystem that could not be read (capacity 0) reports no space rather than a false number.
      if (d.capacityBytes === 0) continue;
      this.diskFree.set({ dir: d.path }, d.freeBytes);
      this.diskTotal.set({ dir: d.path }, d.capacityBytes);
      this.diskKdi.set({ dir: d.path }, d.kdiBytes);
    }
  }
}
