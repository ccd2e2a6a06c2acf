// What the bench's main process and its client processes (worker.ts,
// forked with the 'advanced' serialization so typed arrays cross as they
// are) say to each other. One phase at a time: `run` to every worker, a
// `done` (or `failed`) back from each.

import type { KeyRange } from './keys.js';

/** Where a worker's clients send their operations. */
export type Target = { readonly kind: 'kdi'; readonly master: string; readonly coalesceCalls: boolean } | { readonly kind: 'redis'; readonly port: number };

export type Operation = 'write' | 'read' | 'scan';

export interface InitMessage {
  readonly type: 'init';
  readonly target: Target;
  /** Operations in flight at once in this process (each lane awaits its own before the next). */
  readonly concurrency: number;
  readonly valueBytes: number;
}

export interface RunMessage {
  readonly type: 'run';
  readonly op: Operation;
  /** The KDI table, or the Redis key prefix. */
  readonly table: string;
  readonly order: 'sequential' | 'random';
  /** This worker's share of the operation indices; its lanes take whole ranges from it in turn. */
  readonly ranges: readonly KeyRange[];
  /** R: the rows of the table (random rows are hash(i) mod R). */
  readonly rows: number;
  readonly seed: number;
}

export type ParentMessage = InitMessage | RunMessage | { readonly type: 'exit' };

export interface DoneMessage {
  readonly type: 'done';
  /** Values written or read (for scans: cells returned). */
  readonly values: number;
  /** Reads that found no value of the expected size (0 in a correct run). */
  readonly missing: number;
  /** One latency per operation in ms (for scans: per page). */
  readonly latencies: Float64Array;
}

export type WorkerMessage = { readonly type: 'ready' } | DoneMessage | { readonly type: 'failed'; readonly message: string };
