// The event tail: one blocking connection per RedisLockStore that follows
// the event stream (XREAD BLOCK) and wakes waitForChange() waiters. Every
// front end sharing the Redis appends to the same stream, so a change made
// through one lock-server process wakes the waiters of all of them.
//
// Promises:
//  - a waiter whose cursor is below the highest revision known here
//    (seen on the stream, or reported by the store's own replies) resolves
//    at once; otherwise it resolves when the tail reads an entry above its
//    cursor, on timeout, on abort, on close(), or — spuriously — when the
//    tail reconnects or the store saw a new incarnation (the caller then
//    re-reads with readEvents, which reports the reset);
//  - the tail never ends while the store is open: errors (Redis down) are
//    retried after a short pause; ioredis reconnects underneath.

import type { Redis } from 'ioredis';

/** Server-side block per XREAD; the command timeout is this plus a margin. */
export const TAIL_BLOCK_MS = 5_000;
const RETRY_PAUSE_MS = 250;
const COUNT = 1_000;

interface Waiter {
  readonly after: number;
  readonly wake: () => void;
}

const revisionOf = (id: string): number => Number(id.slice(0, id.indexOf('-')));

export class EventTail {
  private readonly waiters = new Set<Waiter>();
  private lastId: string;
  private highest: number;
  private closed = false;
  private loop: Promise<void> | undefined;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    startRevision: number,
  ) {
    this.lastId = `${startRevision}-0`;
    this.highest = startRevision;
    // A reconnect may hide a Redis restart or data loss: let waiters re-read.
    redis.on('ready', () => this.wakeAll());
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** The store learned of a revision from a reply (its own or another front end's change). */
  noteRevision(revision: number): void {
    if (revision > this.highest) {
      this.highest = revision;
      this.wake();
    }
  }

  /** The store saw a new incarnation: the stream was recreated; read it from its start. */
  noteNewIncarnation(revision: number): void {
    this.lastId = '0-0';
    this.highest = revision;
    this.wakeAll();
  }

  wait(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || after < this.highest || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { after, wake: finish };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', finish, { once: true });
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
    this.redis.disconnect();
    await this.loop;
  }

  private wake(): void {
    for (const w of [...this.waiters]) if (w.after < this.highest) w.wake();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w.wake();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const reply = await this.redis.xread('COUNT', COUNT, 'BLOCK', TAIL_BLOCK_MS, 'STREAMS', this.streamKey, this.lastId);
        if (this.closed) return;
        const entries = reply?.[0]?.[1] ?? [];
        const last = entries[entries.length - 1];
        if (last) {
          this.lastId = last[0];
          this.noteRevision(revisionOf(last[0]));
        }
      } catch {
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.pause = { timer: setTimeout(resolve, RETRY_PAUSE_MS), resolve };
        });
        this.pause = undefined;
      }
    }
  }
}
