// The lock server's metrics (DESIGN §15): request counts and latency per
// route (the route's template, never the raw URL, so lock paths do not
// explode the series count), and the store's state read at scrape time.

import type { StoreStatus } from '../store/lock-store.js';
import type { LockApp } from './lock-app.js';
import { MetricsRegistry } from '@kdi/service-kit';

export class LockServerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly requests = this.registry.counter('lockserver_http_requests_total', 'HTTP requests by method, route template and status code.');
  private readonly latency = this.registry.histogram('lockserver_http_request_duration_seconds', 'HTTP request latency by method and route template.');
  private readonly storeUp = this.registry.gauge('lockserver_store_up', '1 when the lock store answered the last scrape, else 0.');
  private readonly sessions = this.registry.gauge('lockserver_sessions', 'Live sessions.');
  private readonly revision = this.registry.gauge('lockserver_revision', 'The service revision (never goes down).');
  private readonly safeMode = this.registry.gauge('lockserver_safe_mode', '1 while grants are refused after a data loss, else 0.');
  private readonly safeModeRemaining = this.registry.gauge('lockserver_safe_mode_remaining_seconds', 'Time left of safe mode.');

  /** Counts every response, including errors and unmatched routes. */
  install(app: LockApp): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.requests.inc({ method, route, status: String(reply.statusCode) });
      this.latency.observe(reply.elapsedTime / 1000, { method, route });
    });
  }

  /** The exposition text, with the store gauges as of now (store_up 0 when it failed). */
  render(status: StoreStatus | undefined): string {
    this.storeUp.set(status ? 1 : 0);
    if (status) {
      this.sessions.set(status.sessions);
      this.revision.set(status.revision);
      this.safeMode.set(status.safeModeRemainingMs > 0 ? 1 : 0);
      this.safeModeRemaining.set(status.safeModeRemainingMs / 1000);
    }
    return this.registry.render();
  }
}
