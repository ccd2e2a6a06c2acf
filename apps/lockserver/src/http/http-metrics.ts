// The lock server's own metrics (DESIGN §15), beside the chassis' request
// counts and latencies per route template and the process metrics: the
// store's state, read once per scrape (lockserver_store_up 0 when the
// store does not answer; the other gauges then keep their last values).

import { Gauge, type MetricsRegistry } from '@kdi/service-kit';
import type { LockStore } from '../store/lock-store.js';

export class LockStoreMetrics {
  private readonly up: Gauge;
  private readonly sessions: Gauge;
  private readonly revision: Gauge;
  private readonly safeMode: Gauge;
  private readonly safeModeRemaining: Gauge;

  constructor(
    registry: MetricsRegistry,
    private readonly store: LockStore,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
    this.up = gauge('lockserver_store_up', '1 when the lock store answered the last scrape, else 0.');
    this.sessions = gauge('lockserver_sessions', 'Live sessions.');
    this.revision = gauge('lockserver_revision', 'The service revision (never goes down).');
    this.safeMode = gauge('lockserver_safe_mode', '1 while grants are refused after a data loss, else 0.');
    this.safeModeRemaining = gauge('lockserver_safe_mode_remaining_seconds', 'Time left of safe mode.');
  }

  /** Sets the gauges from the store's status (the chassis' onScrape). */
  async scrape(): Promise<void> {
    try {
      const status = await this.store.status();
      this.up.set(1);
      this.sessions.set(status.sessions);
      this.revision.set(status.revision);
      this.safeMode.set(status.safeModeRemainingMs > 0 ? 1 : 0);
      this.safeModeRemaining.set(status.safeModeRemainingMs / 1000);
    } catch (e) {
      this.log.warn({ err: e }, 'metrics: the lock store did not answer');
      this.up.set(0);
    }
  }
}
