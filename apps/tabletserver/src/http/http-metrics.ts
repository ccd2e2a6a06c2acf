// The tablet server's metrics (DESIGN §15): request counts and latency per
// route (the route's template, never the raw URL, so table names do not
// explode the series count), cells written and read, and the server's
// state read at scrape time.

import type { BlockCache } from '@kdi/storage';
import type { ScanService } from '../scan/scan-service.js';
import type { TabletServer } from '../tablets/tablet-server.js';
import { MetricsRegistry } from '@kdi/service-kit';
import type { TabletApp } from './tablet-app.js';

export class TabletServerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly requests = this.registry.counter('tabletserver_http_requests_total', 'HTTP requests by method, route template and status code.');
  private readonly latency = this.registry.histogram('tabletserver_http_request_duration_seconds', 'HTTP request latency by method and route template.');
  private readonly cellsApplied = this.registry.counter('tabletserver_cells_applied_total', 'Cells in applies that succeeded.');
  private readonly cellsScanned = this.registry.counter('tabletserver_cells_scanned_total', 'Cells returned by scan pages.');
  private readonly tablets = this.registry.gauge('tabletserver_tablets', 'Tablets on this server by state.');
  private readonly memoryBytes = this.registry.gauge('tabletserver_memory_fragment_bytes', 'Bytes held by memory fragments.');
  private readonly diskBytes = this.registry.gauge('tabletserver_disk_fragment_bytes', 'Fragment file bytes over the tablets (shared fragments count per tablet).');
  private readonly inFlight = this.registry.gauge('tabletserver_applies_in_flight', 'Applies waiting for the log or for memory.');
  private readonly busy = this.registry.gauge('tabletserver_busy_rejections', 'Applies refused with RESOURCE_EXHAUSTED since start.');
  private readonly scanners = this.registry.gauge('tabletserver_scanners_open', 'Open server-side scanners.');
  private readonly cacheHitRatio = this.registry.gauge('tabletserver_block_cache_hit_ratio', 'Block cache hits / lookups since start.');
  private readonly cacheBytes = this.registry.gauge('tabletserver_block_cache_bytes', 'Bytes held by the block cache.');

  constructor(
    private readonly server: TabletServer,
    private readonly scans: ScanService,
    private readonly cache: BlockCache | undefined,
  ) {}

  /** Counts every response, including errors and unmatched routes. */
  install(app: TabletApp): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.requests.inc({ method, route, status: String(reply.statusCode) });
      this.latency.observe(reply.elapsedTime / 1000, { method, route });
    });
  }

  applied(cells: number): void {
    this.cellsApplied.inc({}, cells);
  }

  scanned(cells: number): void {
    this.cellsScanned.inc({}, cells);
  }

  /** The exposition text with the gauges as of now. */
  render(): string {
    const status = this.server.status();
    for (const state of ['loading', 'serving', 'unloading'] as const) {
      this.tablets.set(status.tablets.filter((t) => t.state === state).length, { state });
    }
    this.memoryBytes.set(status.memoryBytes);
    this.diskBytes.set(status.diskBytes);
    this.inFlight.set(status.appliesInFlight);
    this.busy.set(status.busyRejections);
    this.scanners.set(this.scans.scanners.size);
    if (this.cache !== undefined) {
      const s = this.cache.stats;
      this.cacheHitRatio.set(s.hitRatio);
      this.cacheBytes.set(s.bytes);
    }
    return this.registry.render();
  }
}
