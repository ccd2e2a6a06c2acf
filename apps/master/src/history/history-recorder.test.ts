// The durable history against a real lock server (embedded store, a child
// process): a master that takes over restores what the previous one wrote
// and claims the file; the deposed master's next write is refused and it
// stops writing for good, leaving the new master's file as it was; a bad
// file is replaced and the master starts empty; a lock service that does
// not answer never keeps a master from taking over, and nothing is written.

import { LockClient } from '@kdi/client-sdk';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ClusterEvent } from '@kdi/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistory, type History } from './history-file.js';
import { HistoryRecorder, READ_TIMEOUT_MS, type HistoryParts } from './history-recorder.js';
import { HistoryStore } from './history-store.js';

let server: RunningLockServer;
let lock: LockClient;

beforeAll(async () => {
  server = await startEmbeddedLockServer();
  lock = new LockClient({ url: server.url });
}, 60_000);

afterAll(async () => {
  await lock?.close();
  await server?.close();
});

/** A master's history as plain lists (events only: the other kinds take the same path). */
class Parts implements HistoryParts {
  events: ClusterEvent[] = [];
  restored: History[] = [];
  add(message: string): void {
    this.events.push({ seq: (this.events.at(-1)?.seq ?? 0) + 1, at: new Date().toISOString(), kind: 'error', message });
  }
  snapshot() {
    return { migrations: [], decisions: [], events: [...this.events] };
  }
  restore(h: History): void {
    // Merged like the master's event log: restoring the same file twice changes nothing.
    this.restored.push(h);
    const theirs = new Set(h.events.map((e) => e.message));
    this.events = [...h.events, ...this.events.filter((e) => !theirs.has(e.message))];
  }
}

function logger(): FastifyBaseLogger & { warnings: string[] } {
  const warnings: string[] = [];
  const text = (a: unknown[]) => a.map((x) => (typeof x === 'string' ? x : '')).join(' ');
  const log = { warnings, warn: (...a: unknown[]) => warnings.push(text(a)), info: () => {}, error: () => {}, debug: () => {} };
  return log as unknown as FastifyBaseLogger & { warnings: string[] };
}

function recorder(path: string, generation: number, parts: Parts, o: { active?: () => boolean; client?: LockClient } = {}) {
  const log = logger();
  const r = new HistoryRecorder({
    store: new HistoryStore(o.client ?? lock, path),
    parts,
    writer: { url: `http://master-${generation}`, generation },
    flushMs: 10,
    maxBytes: 64 * 1024,
    isWriter: o.active ?? (() => true),
    log,
  });
  return { r, log };
}

async function fileHistory(path: string): Promise<History> {
  const file = await lock.getFile(path, { encoding: 'base64' });
  const d = decodeHistory(Buffer.from(file.contents!, 'base64'));
  if (!d.ok) throw new Error(d.bad);
  return d.history;
}

describe('the master history in the lock service', () => {
  it('a new master restores and claims it; the deposed master cannot overwrite it and stops writing', async () => {
    const path = '/test/history-fence';
    const oldParts = new Parts();
    const old = recorder(path, 1, oldParts);
    await old.r.takeOver(); // no file yet: nothing restored
    expect(oldParts.restored).toHaveLength(0);
    oldParts.add('move 1 committed');
    old.r.markDirty();
    await old.r.close().then(() => undefined);
    // close() wrote; a recorder is one master's for its term, so the "still running" old master is a second one of the same generation.
    const stale = recorder(path, 1, oldParts);
    await stale.r.takeOver(); // it reads its own file back: nothing to restore
    expect((await fileHistory(path)).events.map((e) => e.message)).toEqual(['move 1 committed']);

    const newParts = new Parts();
    const fresh = recorder(path, 2, newParts);
    await fresh.r.takeOver();
    expect(newParts.restored.map((h) => h.writer)).toEqual([{ url: 'http://master-1', generation: 1 }]);
    newParts.add('master-2 elected');
    fresh.r.markDirty();
    await waitUntil(async () => (await fileHistory(path)).writer.generation === 2);
    expect((await fileHistory(path)).events.map((e) => e.message)).toEqual(['move 1 committed', 'master-2 elected']);

    // The deposed master (it does not know yet) writes: refused, it reads the newer master's file and stops.
    oldParts.add('written by a deposed master');
    stale.r.markDirty();
    await waitUntil(async () => stale.log.warnings.some((w) => /newer master .* stops writing/.test(w)));
    oldParts.add('and again');
    stale.r.markDirty();
    await new Promise((r) => setTimeout(r, 100));
    const now = await fileHistory(path);
    expect(now.writer.generation).toBe(2);
    expect(now.events.map((e) => e.message)).toEqual(['move 1 committed', 'master-2 elected']);
    await fresh.r.close();
    await stale.r.close();
  });

  it('writes nothing once this master is no longer the active one', async () => {
    const path = '/test/history-inactive';
    const parts = new Parts();
    let active = true;
    const a = recorder(path, 5, parts, { active: () => active });
    await a.r.takeOver();
    await waitUntil(async () => (await fileHistory(path)).writer.generation === 5);
    const before = (await lock.stat(path)).generation;
    active = false;
    parts.add('after the session was lost');
    a.r.markDirty();
    await waitUntil(async () => a.log.warnings.some((w) => /no longer the active one/.test(w)));
    expect((await lock.stat(path)).generation).toBe(before);
  });

  it('a bad file: the master starts empty, says so, and replaces it', async () => {
    const path = '/test/history-bad';
    await lock.createFile(path, { contents: 'not gzip at all' });
    const parts = new Parts();
    const a = recorder(path, 3, parts);
    await a.r.takeOver();
    expect(parts.restored).toHaveLength(0);
    expect(a.log.warnings.join('\n')).toMatch(/unreadable: not gzip-compressed JSON.*starts with no history and replaces it/);
    await waitUntil(async () => (await fileHistory(path).catch(() => undefined))?.writer.generation === 3);
    await a.r.close();
  });

  it('a lock service that does not answer: the takeover goes on (bounded), nothing is restored or written', async () => {
    const dead = new LockClient({ url: 'http://127.0.0.1:9', requestTimeoutMs: 500 });
    const parts = new Parts();
    const a = recorder('/test/history-unreachable', 6, parts, { client: dead });
    const t0 = performance.now();
    await a.r.takeOver();
    expect(performance.now() - t0).toBeLessThan(READ_TIMEOUT_MS + 5_000);
    expect(a.log.warnings.join('\n')).toMatch(/reading the master history .* failed; this master starts with no history/);
    parts.add('x');
    a.r.markDirty();
    a.r.stop();
    await dead.close();
    await expect(lock.getFile('/test/history-unreachable')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
