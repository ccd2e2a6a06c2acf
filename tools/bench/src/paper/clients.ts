// The client processes of `bench:paper`: N forked worker.ts processes
// (separate processes, as the paper's clients were separate machines), each
// with its own SDK or Redis connections and `concurrency` operations in
// flight. A phase cuts the operation indices 0 … n−1 into 4 ranges per lane
// of the whole run, deals them round-robin to the processes, starts every
// process at once and ends when the last one is done; the rate is values ÷
// that wall time, the latencies are every operation's of every process.

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { splitRange } from './keys.js';
import type { DoneMessage, Operation, ParentMessage, Target, WorkerMessage } from './messages.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const RANGES_PER_LANE = 4;

export interface PhaseResult {
  readonly values: number;
  readonly missing: number;
  readonly seconds: number;
  /** Every operation's latency, ms, sorted. */
  readonly latencies: Float64Array;
}

export interface PhaseSpec {
  readonly op: Operation;
  readonly table: string;
  readonly order: 'sequential' | 'random';
  /** Operations in all (for scans: rows of the table, cut into ranges). */
  readonly n: number;
  readonly rows: number;
  readonly seed: number;
}

function nextMessage(child: ChildProcess): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`a client process (PID ${child.pid}) exited (${code ?? signal}) in the middle of a phase`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

async function expectMessage<T extends WorkerMessage['type']>(child: ChildProcess, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  const m = await nextMessage(child);
  if (m.type === 'failed') throw new Error(`a client process failed:\n${m.message}`);
  if (m.type !== type) throw new Error(`a client process answered ${m.type}, expected ${type}`);
  return m as Extract<WorkerMessage, { type: T }>;
}

export class ClientProcesses {
  private constructor(
    private readonly children: readonly ChildProcess[],
    readonly concurrency: number,
  ) {}

  static async start(target: Target, processes: number, concurrency: number, valueBytes: number): Promise<ClientProcesses> {
    const children = Array.from({ length: processes }, () =>
      // The parent's --import tsx and --conditions kdi-source carry over.
      fork(WORKER, [], { execArgv: process.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const pool = new ClientProcesses(children, concurrency);
    try {
      const ready = children.map((c) => expectMessage(c, 'ready'));
      for (const c of children) c.send({ type: 'init', target, concurrency, valueBytes } satisfies ParentMessage);
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** The PIDs of the client processes (for CPU accounting). */
  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  async run(spec: PhaseSpec): Promise<PhaseResult> {
    const ranges = splitRange(spec.n, this.children.length * this.concurrency * RANGES_PER_LANE);
    const shares = this.children.map((_, p) => ranges.filter((_, k) => k % this.children.length === p));
    const t0 = performance.now();
    const done = this.children.map((c) => expectMessage(c, 'done'));
    this.children.forEach((c, p) =>
      c.send({ type: 'run', op: spec.op, table: spec.table, order: spec.order, ranges: shares[p]!, rows: spec.rows, seed: spec.seed } satisfies ParentMessage),
    );
    const results: DoneMessage[] = await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    const all = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
    let at = 0;
    for (const r of results) {
      all.set(r.latencies, at);
      at += r.latencies.length;
    }
    all.sort();
    return {
      values: results.reduce((n, r) => n + r.values, 0),
      missing: results.reduce((n, r) => n + r.missing, 0),
      seconds,
      latencies: all,
    };
  }

  /** Asks every process to close its connections and exit; kills (by PID) one that has not in 10 s. */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        if (c.connected) c.send({ type: 'exit' } satisfies ParentMessage);
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** The p-th percentile (0–100) of sorted latencies. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
