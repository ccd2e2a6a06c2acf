// A small pool of worker threads for serialization and compaction, so
// compression, checksums and merging never stall request handling. Only
// for engines on the real filesystem (workers open files by path).
//
// A worker that dies fails its task with an 'io' StorageError and is
// replaced; tasks queue while every worker is busy.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { closed, StorageError, type StorageErrorKind } from '../errors.js';
import type { FragmentBuildResult, FragmentBuildTask } from './fragment-build.js';

interface Job {
  readonly id: number;
  readonly task: FragmentBuildTask;
  resolve(r: FragmentBuildResult): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * The worker script: the compiled JS next to this file, or — when running
 * from TypeScript sources (tests, benchmarks) — the .ts file loaded through
 * tsx, registered inside the worker before the import, with the
 * `kdi-source` condition so that @kdi/* packages resolve to their sources
 * too (their dist/ may not be built).
 */
function startWorker(): Worker {
  const js = new URL('./fragment-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./fragment-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); })`;
  const execArgv = process.execArgv.some((a) => a.includes('kdi-source')) ? process.execArgv : [...process.execArgv, '--conditions=kdi-source'];
  return new Worker(boot, { eval: true, execArgv });
}

export class FragmentWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = 1) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (msg: { id: number; result?: FragmentBuildResult; error?: { kind: StorageErrorKind; message: string; path?: string } }) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      slot.worker.unref();
      if (msg.error) job.reject(new StorageError(msg.error.kind, msg.error.message, msg.error.path));
      else job.resolve(msg.result!);
      this.pump();
    });
    worker.on('error', (e) => this.lost(slot, e));
    worker.on('exit', (code) => {
      if (!this.closed) this.lost(slot, new Error(`fragment worker exited with code ${code}`));
    });
    worker.unref(); // an idle pool must not keep the process alive
    return slot;
  }

  private lost(slot: Slot, e: unknown): void {
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new StorageError('io', `fragment worker failed: ${(e as Error).message}`, job.task.output, { cause: e }));
    const i = this.slots.indexOf(slot);
    if (i >= 0 && !this.closed) {
      void slot.worker.terminate();
      this.slots[i] = this.spawn();
      this.pump();
    }
  }

  run(task: FragmentBuildTask): Promise<FragmentBuildResult> {
    if (this.closed) return Promise.reject(closed('fragment worker pool'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.ref(); // a running job must keep the process alive
      // Transfer the memory batch only when it owns its whole ArrayBuffer
      // (small Buffers share Node's pool); otherwise it is copied.
      const m = job.task.memory;
      const transfer = m && m.byteOffset === 0 && m.byteLength === m.buffer.byteLength ? [m.buffer as ArrayBuffer] : [];
      slot.worker.postMessage({ id: job.id, task: job.task }, transfer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(closed('fragment worker pool'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
