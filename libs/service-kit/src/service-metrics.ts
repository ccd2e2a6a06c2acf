// Metrics on prom-client (DESIGN §15), one registry per app instance (two
// apps in one test process never share a series), plus the process
// metrics of prom-client's collectDefaultMetrics (memory, CPU, event-loop
// lag, GC, handles) collected once per process and merged into every
// scrape: they describe the process, not an app.
//
// Every response is counted and timed by method, route template (never
// the raw URL, so table names and lock paths do not explode the series
// count; 'unmatched' for unknown routes) and status code:
//   <prefix>_http_requests_total{method,route,status}
//   <prefix>_http_request_duration_seconds{method,route,status}
// Apps register their own counters and gauges on `registry`; gauges that
// read state at scrape time use prom-client's `collect`, or the app's
// onScrape hook when several gauges come from one (async) read.

import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds; buckets suit HTTP calls from sub-millisecond to a 60 s long poll. */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let processRegistry: Registry | undefined;

/** The process metrics, started on first use (their observers live as long as the process). */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class ServiceMetrics {
  /** The app's own registry: register app metrics here (`registers: [metrics.registry]`). */
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;

  constructor(
    /** The metric name prefix of the app, e.g. 'lockserver'. */
    readonly prefix: string,
    private readonly onScrape?: () => Promise<void> | void,
  ) {
    this.requests = new Counter({
      name: `${prefix}_http_requests_total`,
      help: 'HTTP requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: `${prefix}_http_request_duration_seconds`,
      help: 'HTTP request latency by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [...DEFAULT_SECONDS_BUCKETS],
      registers: [this.registry],
    });
  }

  /** Counts one response. */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? 'unmatched', status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** The Content-Type of the exposition text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: the app's metrics (after onScrape) and the process metrics. */
  async render(): Promise<string> {
    await this.onScrape?.();
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}
