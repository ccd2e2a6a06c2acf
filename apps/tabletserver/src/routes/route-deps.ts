// What the routes are given: the domain object, the scan service and the
// metrics. Routes hold no state of their own.

import type { SequencerChecker } from '@kdi/client-sdk';
import type { TabletServerMetrics } from '../http/http-metrics.js';
import type { ScanService } from '../scan/scan-service.js';
import type { DiskUsage } from '../stats/disk-usage.js';
import type { TabletServer } from '../tablets/tablet-server.js';

export interface RouteDeps {
  readonly server: TabletServer;
  readonly scans: ScanService;
  readonly metrics: TabletServerMetrics;
  /** The server's data directories (KDI_TS_DATA_DIR first) and their usage. */
  readonly disks: DiskUsage;
  /** In a cluster: checks the master's sequencer on load, unload and split (http/master-sequencer.ts). */
  readonly masterSequencers?: SequencerChecker | undefined;
}
