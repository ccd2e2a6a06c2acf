// Request timings of a benchmark's clients and what is read off them: the
// p50/p99 latency of the requests started in a window, and the stall — the
// longest single request that overlapped the window (a write waiting out a
// tablet's freeze shows as one long request), beside the longest stretch in
// which no request of that kind finished at all. Pure: times in, figures out.

import { formatCount, formatTable } from '../common/table.js';

export interface Timing {
  /** performance.now() when the request was sent, and when its answer came. */
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
}

export interface WindowFigures {
  readonly requests: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The longest request that overlapped the window. */
  readonly longestRequestMs: number;
  /** The longest stretch inside the window with no request finishing. */
  readonly longestGapMs: number;
}

export class LatencyLog {
  private readonly timings: Timing[] = [];

  add(t: Timing): void {
    this.timings.push(t);
  }

  /** Times one request: `op` resolving counts as ok, throwing as failed (the error is swallowed). */
  async time(op: () => Promise<unknown>): Promise<boolean> {
    const startMs = performance.now();
    try {
      await op();
      this.add({ startMs, endMs: performance.now(), ok: true });
      return true;
    } catch {
      this.add({ startMs, endMs: performance.now(), ok: false });
      return false;
    }
  }

  window(fromMs: number, toMs: number): WindowFigures {
    return windowFigures(this.timings, fromMs, toMs);
  }
}

export function windowFigures(timings: readonly Timing[], fromMs: number, toMs: number): WindowFigures {
  const started = timings.filter((t) => t.startMs >= fromMs && t.startMs < toMs);
  const latencies = started.map((t) => t.endMs - t.startMs).sort((a, b) => a - b);
  const overlapping = timings.filter((t) => t.startMs < toMs && t.endMs > fromMs);
  const ends = timings
    .filter((t) => t.endMs >= fromMs && t.endMs <= toMs)
    .map((t) => t.endMs)
    .sort((a, b) => a - b);
  let gap = 0;
  let previous = fromMs;
  for (const e of [...ends, toMs]) {
    gap = Math.max(gap, e - previous);
    previous = e;
  }
  return {
    requests: started.length,
    failed: started.filter((t) => !t.ok).length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    longestRequestMs: overlapping.reduce((m, t) => Math.max(m, t.endMs - t.startMs), 0),
    longestGapMs: gap,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A phase of a move (before, during, after) with its writes' and reads' figures. */
export type PhaseFigures = readonly [name: string, writes: WindowFigures, reads: WindowFigures];

/** The phases as a table: requests, failures, p50/p99 and, with `longest`, the longest request of writes and of reads. */
export function phaseTable(phases: readonly PhaseFigures[], o: { longest: boolean }): string {
  const ms = (x: number) => x.toFixed(1);
  const side = (kind: string): { title: string; align: 'right' }[] =>
    [`${kind}s`, 'failed', `${kind} p50 ms`, `${kind} p99 ms`, ...(o.longest ? [`longest ${kind} ms`] : [])].map((title) => ({ title, align: 'right' as const }));
  const figures = (f: WindowFigures) => [formatCount(f.requests), String(f.failed), ms(f.p50Ms), ms(f.p99Ms), ...(o.longest ? [ms(f.longestRequestMs)] : [])];
  return formatTable(
    [{ title: 'phase', align: 'left' }, ...side('write'), ...side('read')],
    phases.map(([name, w, r]) => [name, ...figures(w), ...figures(r)]),
  );
}
