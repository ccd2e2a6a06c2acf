// The one conformance suite every LockStore backend runs (abstract-level
// style): `describeLockStoreConformance(name, factory)` from a backend's
// *.test.ts. It checks the promises of lock-store.ts's header against a
// real backend on the real clock, with small limits (CONFORMANCE_LIMITS).
//
// Timing: the suite never asserts how long something took. It waits for
// outcomes by polling (`until`) with generous deadlines, and only assumes
// that a lease of T ms has run out after 3·T ms of real time.
//
// Decisions this suite pins down for every backend (beyond the header):
//  - Each event has its own revision: readEvents' revisions strictly
//    increase, a file's generation is the revision of its created/changed
//    event, a sequencer's generation is the revision of its lock-acquired
//    event. Session opens, keep-alives and closes without locks or
//    ephemerals need not take a revision.
//  - SessionGrant.lockDelayMs = max(limits.lockDelayMs, ttlMs); a session
//    id is 32 lowercase hex digits; openSession(undefined) picks a TTL
//    within the limits.
//  - Unknown or expired session: keepAlive, closeSession, acquire and
//    release → NOT_FOUND. createFile with an ephemeralOwner that is not a
//    live session → FAILED_PRECONDITION (the header's choice).
//  - acquire by a session that already holds the lock: the same requestId
//    and mode → the same sequencer (no new revision); anything else →
//    FAILED_PRECONDITION. Refusals are checked in this order: safe-mode,
//    held, lock-delay. A lock-delay blocks every grant on the file.
//  - Lock changes do not change a file's generation (it is the
//    compare-and-set key of contents and existence only).
//  - Deleting a locked file (by its only holder) emits lock-released, then
//    deleted. Expiry emits lock-released for the session's locks and
//    deleted for its ephemeral files.
//  - listChildren of a directory with nothing below it → empty listing.
//  - readEvents with `reset: true` returns no events and the store's
//    current revision (re-read state, then watch from there).
//  - A store just made over empty state may start in safe mode; the suite
//    waits until status().safeModeRemainingMs is 0 before each test.
//
// Capabilities (abstract-level's idea): a factory instance may offer
//  - loseData(): the backend lost everything (Redis restarted without
//    persistence); returns the store to use from then on;
//  - restart(): the backend restarted keeping its persistent state. By
//    default (embedded store: a new process on the same data directory)
//    non-ephemeral files survive while sessions, locks and ephemeral files
//    do not, and the store starts in safe mode. With
//    `factory.restartKeepsSessions` (Redis with appendfsync always)
//    everything survives, sequencers stay valid and no safe mode is needed.

import { isKdiError, type ErrorCode, type KdiError, type Sequencer, type WatchEvent } from '@kdi/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcquireOutcome, LockStore, LockStoreLimits, SessionGrant } from './lock-store.js';

export interface ConformanceInstance {
  readonly store: LockStore;
  /** Closes whichever store is current and removes everything the instance made. */
  cleanup(): Promise<void>;
  loseData?(): Promise<LockStore>;
  restart?(): Promise<LockStore>;
}

export interface LockStoreFactory {
  make(limits: LockStoreLimits): Promise<ConformanceInstance>;
  /** restart() keeps sessions and locks too (see the header). */
  readonly restartKeepsSessions?: boolean;
}

/** Small real-time limits: leases of a few hundred milliseconds. */
export const CONFORMANCE_LIMITS: LockStoreLimits = {
  minTtlMs: 100,
  maxTtlMs: 1_000,
  lockDelayMs: 400,
  maxContentsBytes: 1_024,
  eventRetention: 64,
};

const UNKNOWN_SESSION = '0123456789abcdef0123456789abcdef';
const BAD_FILE_PATHS = ['', 'a', 'a/b', '/', '/a/', '//a', '/a//b', '/..', '/a/../b', '/a/./b', '/.', '/a b', '/a$b', '/ä'];
const BAD_DIR_PATHS = ['', 'a', '/a/', '//a', '/a/../b', '/a b'];
/** Long enough for any backend on a loaded machine; only bounds failing waits. */
const PATIENCE_MS = 10_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined/false. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = PATIENCE_MS): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Awaits `call`, which must fail with a KdiError of `code`. */
export async function expectKdiError(call: Promise<unknown>, code: ErrorCode): Promise<KdiError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (e) {
    if (!isKdiError(e)) throw new Error(`expected a KdiError ${code}, got ${String(e)}`, { cause: e });
    expect(e.code, e.message).toBe(code);
    expect(e.message.length).toBeGreaterThan(0);
    return e;
  }
  throw new Error(`expected a KdiError ${code}, but the call succeeded with ${JSON.stringify(outcome)}`);
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function describeLockStoreConformance(name: string, factory: LockStoreFactory): void {
  describe(`LockStore conformance: ${name}`, () => {
    const L = CONFORMANCE_LIMITS;
    let instance: ConformanceInstance;
    let store: LockStore;
    let requests = 0;

    beforeEach(async () => {
      instance = await factory.make(L);
      store = instance.store;
      await outOfSafeMode();
    });
    afterEach(async () => {
      await instance.cleanup();
    });

    async function outOfSafeMode(): Promise<void> {
      await until('the end of safe mode', async () => (await store.status()).safeModeRemainingMs === 0, L.maxTtlMs + L.lockDelayMs + PATIENCE_MS);
    }
    const acquire = (sessionId: string, path: string, mode: 'exclusive' | 'shared' = 'exclusive', requestId = `r${++requests}`) =>
      store.acquire({ sessionId, path, mode, requestId });
    async function grant(sessionId: string, path: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<Sequencer> {
      const outcome = await acquire(sessionId, path, mode);
      if (!outcome.acquired) throw new Error(`expected a grant of ${path}, got ${JSON.stringify(outcome)}`);
      return outcome.sequencer;
    }
    const session = async (ttlMs = 400): Promise<SessionGrant> => store.openSession(ttlMs);
    const file = (path: string, contents = '') => store.createFile(path, bytes(contents));
    const valid = async (s: Sequencer) => (await store.validateSequencer(s)).valid;
    const revisionNow = async () => (await store.readEvents(undefined, 1)).revision;
    async function eventsAfter(after: number): Promise<WatchEvent[]> {
      const batch = await store.readEvents(after, 10_000);
      expect(batch.reset).toBe(false);
      return [...batch.events];
    }
    const summary = (events: readonly WatchEvent[]) => events.map((e) => `${e.type} ${e.path}`);
    async function gone(sessionId: string): Promise<boolean> {
      try {
        await store.keepAlive(sessionId);
        return false;
      } catch (e) {
        if (isKdiError(e) && e.code === 'NOT_FOUND') return true;
        throw e;
      }
    }

    describe('sessions', () => {
      it('opens sessions with the TTL clamped to the limits', async () => {
        const short = await store.openSession(1);
        const long = await store.openSession(10 * L.maxTtlMs);
        const fit = await store.openSession(300);
        const chosen = await store.openSession(undefined);
        expect(short.ttlMs).toBe(L.minTtlMs);
        expect(long.ttlMs).toBe(L.maxTtlMs);
        expect(fit.ttlMs).toBe(300);
        expect(chosen.ttlMs).toBeGreaterThanOrEqual(L.minTtlMs);
        expect(chosen.ttlMs).toBeLessThanOrEqual(L.maxTtlMs);
        for (const g of [short, long, fit, chosen]) {
          expect(g.sessionId).toMatch(/^[0-9a-f]{32}$/);
          expect(g.lockDelayMs).toBe(Math.max(L.lockDelayMs, g.ttlMs));
        }
        expect(new Set([short, long, fit, chosen].map((g) => g.sessionId)).size).toBe(4);
        // The short session lives 100 ms: on a starved machine it may have lapsed already (seen in CI).
        const sessions = (await store.status()).sessions;
        expect(sessions === 4 || (sessions === 3 && (await gone(short.sessionId))), `${sessions} sessions`).toBe(true);
      });

      it('keeps a session alive past several TTLs while it sends keep-alives', async () => {
        const s = await session(300);
        await file('/held');
        const seq = await grant(s.sessionId, '/held');
        const stopAt = Date.now() + 4 * s.ttlMs;
        while (Date.now() < stopAt) {
          const again = await store.keepAlive(s.sessionId);
          expect(again).toEqual(s);
          await sleep(50);
        }
        expect(await valid(seq)).toBe(true);
        expect(await gone(s.sessionId)).toBe(false);
      });

      it('expires a session not kept alive, with its locks and ephemeral files', async () => {
        const s = await session(400); // long enough for the setup below on a starved machine
        const other = await session(L.maxTtlMs);
        await file('/ex');
        await file('/sh');
        const ex = await grant(s.sessionId, '/ex');
        const sh = await grant(s.sessionId, '/sh', 'shared');
        const stays = await grant(other.sessionId, '/sh', 'shared');
        await store.createFile('/eph', bytes('x'), { ephemeralOwner: s.sessionId });
        const before = await revisionNow();
        for (let i = 0; i < 3; i++) {
          await sleep(s.ttlMs);
          await store.keepAlive(other.sessionId); // only s is left to expire
        }
        // The first call after the deadline already sees the session gone.
        expect(await valid(ex)).toBe(false);
        expect(await valid(sh)).toBe(false);
        expect(await valid(stays)).toBe(true);
        await expectKdiError(store.getFile('/eph'), 'NOT_FOUND');
        expect(await gone(s.sessionId)).toBe(true);
        expect((await store.getFile('/sh')).value.lock).toEqual({ mode: 'shared', holders: [stays.generation] });
        const events = summary(await eventsAfter(before));
        expect(events).toEqual(expect.arrayContaining(['lock-released /ex', 'lock-released /sh', 'deleted /eph']));
        expect(events).toHaveLength(3);
        await store.keepAlive(other.sessionId);
      });

      it('closes a session: locks released without lock-delay, ephemeral files deleted', async () => {
        const s = await session();
        const b = await session();
        await file('/lock');
        const seq = await grant(s.sessionId, '/lock');
        await store.createFile('/eph', bytes('x'), { ephemeralOwner: s.sessionId });
        const before = await revisionNow();
        await store.closeSession(s.sessionId);
        expect(summary(await eventsAfter(before))).toEqual(expect.arrayContaining(['lock-released /lock', 'deleted /eph']));
        expect(await valid(seq)).toBe(false);
        await expectKdiError(store.getFile('/eph'), 'NOT_FOUND');
        expect((await store.getFile('/lock')).value).toMatchObject({ lock: undefined, lockDelayRemainingMs: 0 });
        expect((await acquire(b.sessionId, '/lock')).acquired).toBe(true);
        expect(await gone(s.sessionId)).toBe(true);
      });

      it('answers NOT_FOUND for an unknown session', async () => {
        await file('/f');
        await expectKdiError(store.keepAlive(UNKNOWN_SESSION), 'NOT_FOUND');
        await expectKdiError(store.closeSession(UNKNOWN_SESSION), 'NOT_FOUND');
        await expectKdiError(acquire(UNKNOWN_SESSION, '/f'), 'NOT_FOUND');
        await expectKdiError(store.release(UNKNOWN_SESSION, '/f'), 'NOT_FOUND');
        const closed = await session();
        await store.closeSession(closed.sessionId);
        await expectKdiError(store.keepAlive(closed.sessionId), 'NOT_FOUND');
        await expectKdiError(store.closeSession(closed.sessionId), 'NOT_FOUND');
        expect((await store.getFile('/f')).value.lock).toBeUndefined();
      });
    });

    describe('files', () => {
      it('creates, reads, changes, lists and deletes files', async () => {
        const created = await store.createFile('/kdi/root', bytes('tablet-1'));
        expect(created.value).toMatchObject({ path: '/kdi/root', ephemeralOwner: undefined, lock: undefined, lockDelayRemainingMs: 0 });
        expect(text(created.value.contents)).toBe('tablet-1');
        expect(created.revision).toBeGreaterThanOrEqual(created.value.generation);
        const read = await store.getFile('/kdi/root');
        expect(read.value.generation).toBe(created.value.generation);
        expect(text(read.value.contents)).toBe('tablet-1');
        expect(read.revision).toBeGreaterThanOrEqual(created.revision);
        const changed = await store.setContents('/kdi/root', bytes('tablet-2'));
        expect(changed.value.generation).toBeGreaterThan(created.value.generation);
        expect(text((await store.getFile('/kdi/root')).value.contents)).toBe('tablet-2');
        expect((await store.listChildren('/kdi')).value).toEqual([{ name: 'root', path: '/kdi/root', file: true, children: false }]);
        await store.deleteFile('/kdi/root');
        await expectKdiError(store.getFile('/kdi/root'), 'NOT_FOUND');
        expect((await store.listChildren('/')).value).toEqual([]);
      });

      it('refuses duplicates and missing files without changing anything', async () => {
        const first = await file('/a', 'one');
        await expectKdiError(file('/a', 'two'), 'ALREADY_EXISTS');
        await expectKdiError(store.getFile('/missing'), 'NOT_FOUND');
        await expectKdiError(store.setContents('/missing', bytes('x')), 'NOT_FOUND');
        await expectKdiError(store.deleteFile('/missing'), 'NOT_FOUND');
        const after = await store.getFile('/a');
        expect(text(after.value.contents)).toBe('one');
        expect(after.value.generation).toBe(first.value.generation);
        expect(await eventsAfter(first.revision)).toEqual([]);
      });

      it('compare-and-sets on the generation', async () => {
        const v1 = await file('/cas', 'v1');
        const v2 = await store.setContents('/cas', bytes('v2'), { ifGeneration: v1.value.generation });
        expect(v2.value.generation).toBeGreaterThan(v1.value.generation);
        await expectKdiError(store.setContents('/cas', bytes('v3'), { ifGeneration: v1.value.generation }), 'ABORTED');
        await expectKdiError(store.deleteFile('/cas', { ifGeneration: v1.value.generation }), 'ABORTED');
        const now = await store.getFile('/cas');
        expect(text(now.value.contents)).toBe('v2');
        expect(now.value.generation).toBe(v2.value.generation);
        await store.deleteFile('/cas', { ifGeneration: v2.value.generation });
        await expectKdiError(store.getFile('/cas'), 'NOT_FOUND');
      });

      it('round-trips binary contents, and refuses contents over the limit', async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await store.createFile('/bin', all);
        expect(Array.from((await store.getFile('/bin')).value.contents)).toEqual(Array.from(all));
        const max = new Uint8Array(L.maxContentsBytes).fill(7);
        const atLimit = await store.setContents('/bin', max);
        expect(atLimit.value.contents.length).toBe(L.maxContentsBytes);
        const tooBig = new Uint8Array(L.maxContentsBytes + 1);
        const e = await expectKdiError(store.setContents('/bin', tooBig), 'INVALID_ARGUMENT');
        expect(e.message).toContain(String(L.maxContentsBytes));
        await expectKdiError(store.createFile('/big', tooBig), 'INVALID_ARGUMENT');
        await expectKdiError(store.getFile('/big'), 'NOT_FOUND');
        const now = await store.getFile('/bin');
        expect(now.value.generation).toBe(atLimit.value.generation);
        expect(Array.from(now.value.contents)).toEqual(Array.from(max));
        const empty = await store.createFile('/empty', new Uint8Array(0));
        expect(empty.value.contents.length).toBe(0);
      });

      it('refuses bad paths with INVALID_ARGUMENT and stores nothing', async () => {
        const s = await session();
        await file('/ok');
        const before = await revisionNow();
        for (const p of BAD_FILE_PATHS) {
          await expectKdiError(store.createFile(p, bytes('x')), 'INVALID_ARGUMENT');
          await expectKdiError(store.getFile(p), 'INVALID_ARGUMENT');
          await expectKdiError(store.setContents(p, bytes('x')), 'INVALID_ARGUMENT');
          await expectKdiError(store.deleteFile(p), 'INVALID_ARGUMENT');
          await expectKdiError(acquire(s.sessionId, p), 'INVALID_ARGUMENT');
          await expectKdiError(store.release(s.sessionId, p), 'INVALID_ARGUMENT');
        }
        for (const p of BAD_DIR_PATHS) await expectKdiError(store.listChildren(p), 'INVALID_ARGUMENT');
        expect(await eventsAfter(before)).toEqual([]);
        expect((await store.listChildren('/')).value.map((e) => e.path)).toEqual(['/ok']);
      });

      it('lists children with implicit directories, sorted by name', async () => {
        for (const p of ['/kdi/servers/ts-2', '/kdi/servers/ts-1', '/kdi/root', '/kdi', '/b', '/A/x/y', '/_z']) await file(p);
        const root = await store.listChildren('/');
        expect(root.value).toEqual([
          { name: 'A', path: '/A', file: false, children: true },
          { name: '_z', path: '/_z', file: true, children: false },
          { name: 'b', path: '/b', file: true, children: false },
          { name: 'kdi', path: '/kdi', file: true, children: true },
        ]);
        expect((await store.listChildren('/kdi')).value).toEqual([
          { name: 'root', path: '/kdi/root', file: true, children: false },
          { name: 'servers', path: '/kdi/servers', file: false, children: true },
        ]);
        expect((await store.listChildren('/kdi/servers')).value.map((e) => e.name)).toEqual(['ts-1', 'ts-2']);
        expect((await store.listChildren('/A')).value).toEqual([{ name: 'x', path: '/A/x', file: false, children: true }]);
        expect((await store.listChildren('/nothing/here')).value).toEqual([]);
        expect((await store.listChildren('/b')).value).toEqual([]);
        expect(root.revision).toBe(await revisionNow());
      });

      it('ties ephemeral files to a live session', async () => {
        const s = await session();
        const eph = await store.createFile('/eph', bytes('me'), { ephemeralOwner: s.sessionId });
        expect(eph.value.ephemeralOwner).toBe(s.sessionId);
        expect((await store.getFile('/eph')).value.ephemeralOwner).toBe(s.sessionId);
        await expectKdiError(store.createFile('/eph2', bytes(''), { ephemeralOwner: UNKNOWN_SESSION }), 'FAILED_PRECONDITION');
        await expectKdiError(store.getFile('/eph2'), 'NOT_FOUND');
        await store.setContents('/eph', bytes('changed'));
        expect((await store.getFile('/eph')).value.ephemeralOwner).toBe(s.sessionId);
      });

      it("refuses to delete a file another session holds locked; deleting one's own lock releases it", async () => {
        const a = await session();
        const b = await session();
        await file('/locked');
        const seq = await grant(a.sessionId, '/locked');
        await expectKdiError(store.deleteFile('/locked', { sessionId: b.sessionId }), 'FAILED_PRECONDITION');
        await expectKdiError(store.deleteFile('/locked'), 'FAILED_PRECONDITION');
        expect(await valid(seq)).toBe(true);
        const before = await revisionNow();
        await store.deleteFile('/locked', { sessionId: a.sessionId });
        expect(summary(await eventsAfter(before))).toEqual(['lock-released /locked', 'deleted /locked']);
        expect(await valid(seq)).toBe(false);
        expect(await store.release(a.sessionId, '/locked').catch((e: unknown) => (isKdiError(e) ? e.code : e))).not.toBe(true);
        // Shared: a delete by one holder is refused while another holds it.
        await file('/shared');
        await grant(a.sessionId, '/shared', 'shared');
        await grant(b.sessionId, '/shared', 'shared');
        await expectKdiError(store.deleteFile('/shared', { sessionId: a.sessionId }), 'FAILED_PRECONDITION');
        expect((await store.getFile('/shared')).value.lock?.holders).toHaveLength(2);
      });
    });

    describe('locks', () => {
      it('exclusive excludes exclusive and shared; release lets others in', async () => {
        const [a, b] = [await session(), await session()];
        await file('/x');
        const seq = await grant(a.sessionId, '/x');
        expect(await acquire(b.sessionId, '/x')).toMatchObject({ acquired: false, reason: 'held' });
        expect(await acquire(b.sessionId, '/x', 'shared')).toMatchObject({ acquired: false, reason: 'held' });
        expect((await store.getFile('/x')).value.lock).toEqual({ mode: 'exclusive', holders: [seq.generation] });
        expect(await store.release(a.sessionId, '/x')).toBe(true);
        expect(await store.release(a.sessionId, '/x')).toBe(false);
        expect((await store.getFile('/x')).value).toMatchObject({ lock: undefined, lockDelayRemainingMs: 0 });
        const next = await grant(b.sessionId, '/x', 'shared');
        expect(next.generation).toBeGreaterThan(seq.generation);
      });

      it('shared allows many holders and excludes exclusive', async () => {
        const holders = [await session(), await session(), await session()];
        await file('/s');
        const seqs: Sequencer[] = [];
        for (const h of holders) seqs.push(await grant(h.sessionId, '/s', 'shared'));
        expect((await store.getFile('/s')).value.lock).toEqual({ mode: 'shared', holders: seqs.map((s) => s.generation) });
        const writer = await session();
        expect(await acquire(writer.sessionId, '/s')).toMatchObject({ acquired: false, reason: 'held' });
        for (const h of holders) expect(await store.release(h.sessionId, '/s')).toBe(true);
        expect((await acquire(writer.sessionId, '/s')).acquired).toBe(true);
      });

      it('refuses a lock on a missing file', async () => {
        const a = await session();
        await expectKdiError(acquire(a.sessionId, '/none'), 'NOT_FOUND');
        expect(await store.release(a.sessionId, '/none').catch((e: unknown) => (isKdiError(e) ? e.code : e))).not.toBe(true);
      });

      it('grants strictly increasing generations equal to the grant revisions; locks keep the file generation', async () => {
        const a = await session();
        const created = await file('/g');
        const seen: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          const before = await revisionNow();
          const seq = await grant(a.sessionId, '/g', i % 2 === 0 ? 'exclusive' : 'shared');
          expect(seq).toMatchObject({ path: '/g', mode: i % 2 === 0 ? 'exclusive' : 'shared' });
          expect(seq.generation).toBeGreaterThan(before);
          const events = await eventsAfter(before);
          expect(events).toEqual([{ revision: seq.generation, type: 'lock-acquired', path: '/g' }]);
          seen.push(seq.generation);
          await store.release(a.sessionId, '/g');
        }
        expect([...seen].sort((x, y) => x - y)).toEqual(seen);
        expect(new Set(seen).size).toBe(seen.length);
        expect((await store.getFile('/g')).value.generation).toBe(created.value.generation);
      });

      it('is idempotent per (session, requestId) and refuses a second hold by the same session', async () => {
        const a = await session();
        await file('/idem');
        await file('/sh');
        const first = await acquire(a.sessionId, '/idem', 'exclusive', 'req-1');
        const revision = await revisionNow();
        const retry = await acquire(a.sessionId, '/idem', 'exclusive', 'req-1');
        expect(retry).toEqual(first);
        expect(await revisionNow()).toBe(revision);
        await expectKdiError(acquire(a.sessionId, '/idem', 'exclusive', 'req-2'), 'FAILED_PRECONDITION');
        await expectKdiError(acquire(a.sessionId, '/idem', 'shared', 'req-1'), 'FAILED_PRECONDITION');
        const shared = await acquire(a.sessionId, '/sh', 'shared', 'req-3');
        expect(await acquire(a.sessionId, '/sh', 'shared', 'req-3')).toEqual(shared);
        await expectKdiError(acquire(a.sessionId, '/sh', 'shared', 'req-4'), 'FAILED_PRECONDITION');
        expect((await store.getFile('/sh')).value.lock?.holders).toHaveLength(1);
        expect(await eventsAfter(revision)).toHaveLength(1);
      });

      it('holds a lock freed by expiry for the lock-delay, then grants it', async () => {
        const holder = await session(400); // 150 ms ran out during setup on a starved machine
        const waiter = await session(L.maxTtlMs);
        await file('/delayed');
        await grant(holder.sessionId, '/delayed');
        const outcomes: AcquireOutcome[] = [];
        const granted = await until(
          'a grant after the lock-delay',
          async () => {
            await store.keepAlive(waiter.sessionId);
            const o = await acquire(waiter.sessionId, '/delayed');
            outcomes.push(o);
            if (!o.acquired && o.reason === 'lock-delay') {
              expect(o.retryAfterMs).toBeGreaterThan(0);
              expect(o.retryAfterMs).toBeLessThanOrEqual(holder.lockDelayMs);
              const f = (await store.getFile('/delayed')).value;
              expect(f.lock).toBeUndefined();
            }
            return o.acquired && o;
          },
          holder.ttlMs + holder.lockDelayMs + PATIENCE_MS,
        );
        const reasons = outcomes.map((o) => (o.acquired ? 'granted' : o.reason));
        expect(reasons[reasons.length - 1]).toBe('granted');
        expect(reasons).toContain('lock-delay');
        // held (lease running) → lock-delay (lease ran out) → granted, never back.
        const firstDelay = reasons.indexOf('lock-delay');
        expect(reasons.slice(0, firstDelay).every((r) => r === 'held')).toBe(true);
        expect(reasons.slice(firstDelay, -1).every((r) => r === 'lock-delay')).toBe(true);
        expect(granted.sequencer.path).toBe('/delayed');
      });

      it('applies no lock-delay after release or close', async () => {
        const [a, b, c] = [await session(), await session(), await session()];
        await file('/r');
        await grant(a.sessionId, '/r');
        await store.release(a.sessionId, '/r');
        await grant(b.sessionId, '/r');
        await store.closeSession(b.sessionId);
        expect((await store.getFile('/r')).value.lockDelayRemainingMs).toBe(0);
        await grant(c.sessionId, '/r');
      });

      it('grants exactly one of many concurrent exclusive acquires', async () => {
        await file('/contended');
        const sessions = await Promise.all(Array.from({ length: 16 }, () => session(L.maxTtlMs)));
        const outcomes = await Promise.all(sessions.map((s) => acquire(s.sessionId, '/contended')));
        const winners = outcomes.filter((o) => o.acquired);
        expect(winners).toHaveLength(1);
        expect(outcomes.filter((o) => !o.acquired && o.reason === 'held')).toHaveLength(15);
      });
    });

    describe('sequencers', () => {
      it('validate only while that exact grant holds', async () => {
        const [a, b] = [await session(), await session()];
        await file('/seq');
        await file('/other');
        const seq = await grant(a.sessionId, '/seq');
        expect(await store.validateSequencer(seq)).toEqual({ valid: true });
        const wrongMode = await store.validateSequencer({ ...seq, mode: 'shared' });
        expect(wrongMode.valid).toBe(false);
        expect(wrongMode.reason).toBeTruthy();
        expect(await valid({ ...seq, path: '/other' })).toBe(false);
        expect(await valid({ ...seq, path: '/never-created' })).toBe(false);
        expect(await valid({ ...seq, generation: seq.generation - 1 })).toBe(false);
        await store.release(a.sessionId, '/seq');
        const released = await store.validateSequencer(seq);
        expect(released.valid).toBe(false);
        expect(released.reason).toBeTruthy();
        const newer = await grant(b.sessionId, '/seq');
        expect(await valid(seq)).toBe(false);
        expect(await valid(newer)).toBe(true);
      });

      it('are invalid once the session expired, even before anybody else acquires', async () => {
        const a = await session(400); // 150 ms ran out during setup on a starved machine
        await file('/exp');
        const seq = await grant(a.sessionId, '/exp', 'shared');
        expect(await valid(seq)).toBe(true);
        await sleep(3 * a.ttlMs);
        expect(await valid(seq)).toBe(false);
      });
    });

    describe('revisions and events', () => {
      it('increase with every change and come back on reads', async () => {
        const a = await session();
        const seen: number[] = [await revisionNow()];
        const note = (r: number) => {
          expect(r).toBeGreaterThan(seen[seen.length - 1] ?? 0);
          seen.push(r);
        };
        note((await file('/r1')).revision);
        note((await store.setContents('/r1', bytes('x'))).revision);
        const seq = await grant(a.sessionId, '/r1');
        note(seq.generation);
        await store.release(a.sessionId, '/r1');
        note(await revisionNow());
        await store.deleteFile('/r1');
        note(await revisionNow());
        const read = await store.listChildren('/');
        expect(read.revision).toBe(seen[seen.length - 1]);
        expect((await store.status()).revision).toBe(read.revision);
      });

      it('logs every change in revision order', async () => {
        const a = await session();
        const start = await revisionNow();
        const created = await file('/e');
        const changed = await store.setContents('/e', bytes('2'));
        const seq = await grant(a.sessionId, '/e');
        await store.release(a.sessionId, '/e');
        await store.deleteFile('/e');
        const events = await eventsAfter(start);
        expect(events.map((e) => e.type)).toEqual(['created', 'changed', 'lock-acquired', 'lock-released', 'deleted']);
        expect(events.every((e) => e.path === '/e')).toBe(true);
        const revisions = events.map((e) => e.revision);
        expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
        expect(new Set(revisions).size).toBe(revisions.length);
        expect(events[0]?.revision).toBe(created.value.generation);
        expect(events[1]?.revision).toBe(changed.value.generation);
        expect(events[2]?.revision).toBe(seq.generation);
        const batch = await store.readEvents(start, 10);
        expect(batch.revision).toBe(revisions[revisions.length - 1]);
        // Paging: a limit cuts the batch; its revision continues the walk.
        const page1 = await store.readEvents(start, 2);
        expect(page1.events).toEqual(events.slice(0, 2));
        expect(page1.revision).toBe(events[1]?.revision);
        const page2 = await store.readEvents(page1.revision, 2);
        expect(page2.events).toEqual(events.slice(2, 4));
        const tail = await store.readEvents(events[4]?.revision ?? 0, 10);
        expect(tail).toEqual({ events: [], revision: events[4]?.revision, reset: false });
        expect(await store.readEvents(undefined, 10)).toEqual({ events: [], revision: await revisionNow(), reset: false });
      });

      it('keeps eventRetention events and tells older cursors to reset', async () => {
        const start = await revisionNow();
        const generations: number[] = [];
        for (let i = 0; i < 100; i += 1) generations.push((await file(`/many/f${i}`)).value.generation);
        const old = await store.readEvents(start, 10);
        expect(old.reset).toBe(true);
        expect(old.events).toEqual([]);
        expect(old.revision).toBe(await revisionNow());
        const keptFrom = generations[100 - L.eventRetention - 1] ?? 0;
        const kept = await store.readEvents(keptFrom, 1_000);
        expect(kept.reset).toBe(false);
        expect(kept.events.map((e) => e.revision)).toEqual(generations.slice(100 - L.eventRetention));
      });

      it('wakes waitForChange on a change by another call, and times out otherwise', async () => {
        const cursor = await revisionNow();
        const quiet = store.waitForChange(cursor, 200);
        await quiet;
        expect(await eventsAfter(cursor)).toEqual([]);
        const waiting = store.waitForChange(cursor, 60_000);
        await sleep(50);
        await file('/wake');
        await waiting;
        expect(summary(await eventsAfter(cursor))).toEqual(['created /wake']);
        // Behind already: resolves without another change.
        await store.waitForChange(cursor, 60_000);
        const abort = new AbortController();
        const aborted = store.waitForChange(await revisionNow(), 60_000, abort.signal);
        abort.abort();
        await aborted;
      });

      it('wakes waitForChange when a session expires', async () => {
        const a = await session(400); // 150 ms ran out during setup on a starved machine
        await store.createFile('/eph', bytes(''), { ephemeralOwner: a.sessionId });
        const cursor = await revisionNow();
        const waiting = store.waitForChange(cursor, 60_000);
        await sleep(3 * a.ttlMs);
        await store.expireSessions();
        await waiting;
        expect(summary(await eventsAfter(cursor))).toEqual(['deleted /eph']);
      });
    });

    describe('status', () => {
      it('reports the backend, incarnation, revision and sessions', async () => {
        const s = await session();
        const status = await store.status();
        expect(status.backend).toBe(store.backend);
        expect(status.incarnation.length).toBeGreaterThan(0);
        expect(status.revision).toBe(await revisionNow());
        expect(status.safeModeRemainingMs).toBe(0);
        expect(status.sessions).toBe(1);
        await store.closeSession(s.sessionId);
        expect((await store.status()).sessions).toBe(0);
        expect((await store.status()).incarnation).toBe(status.incarnation);
      });
    });

    describe('data loss and restart', () => {
      it('after data loss: safe mode, everything gone, cursors reset, revisions still higher', async (ctx) => {
        if (!instance.loseData) return ctx.skip();
        const a = await session(L.maxTtlMs);
        await file('/kept');
        const seq = await grant(a.sessionId, '/kept');
        const cursor = await revisionNow();
        const before = await store.status();
        store = await instance.loseData();
        const status = await store.status();
        expect(status.safeModeRemainingMs).toBeGreaterThan(0);
        expect(status.incarnation).not.toBe(before.incarnation);
        expect(status.revision).toBeGreaterThan(cursor);
        await expectKdiError(store.getFile('/kept'), 'NOT_FOUND');
        await expectKdiError(store.keepAlive(a.sessionId), 'NOT_FOUND');
        expect(await valid(seq)).toBe(false);
        const reset = await store.readEvents(cursor, 10);
        expect(reset.reset).toBe(true);
        const b = await session(L.maxTtlMs);
        const f = await file('/kept', 'again');
        expect(f.value.generation).toBeGreaterThan(seq.generation);
        const refused = await acquire(b.sessionId, '/kept');
        expect(refused).toMatchObject({ acquired: false, reason: 'safe-mode' });
        if (!refused.acquired) expect(refused.retryAfterMs).toBeGreaterThan(0);
        const after = await until(
          'a grant after safe mode',
          async () => {
            await store.keepAlive(b.sessionId);
            const o = await acquire(b.sessionId, '/kept');
            if (!o.acquired) expect(o.reason).toBe('safe-mode');
            return o.acquired && o.sequencer;
          },
          L.maxTtlMs + L.lockDelayMs + PATIENCE_MS,
        );
        expect(after.generation).toBeGreaterThan(seq.generation);
      });

      it('after restart: persistent files survive, revisions keep increasing', async (ctx) => {
        if (!instance.restart) return ctx.skip();
        const a = await session(L.maxTtlMs);
        const kept = await store.createFile('/kept', Uint8Array.of(0, 1, 2, 255));
        const changed = await store.setContents('/kept', Uint8Array.of(9, 8, 7));
        await file('/dir/child', 'c');
        await store.createFile('/eph', bytes('e'), { ephemeralOwner: a.sessionId });
        const seq = await grant(a.sessionId, '/kept');
        const cursor = await revisionNow();
        await store.keepAlive(a.sessionId); // a full lease for restarts that keep sessions
        store = await instance.restart();
        const read = await store.getFile('/kept');
        expect(Array.from(read.value.contents)).toEqual([9, 8, 7]);
        expect(read.value.generation).toBe(changed.value.generation);
        expect(read.value.generation).toBeGreaterThan(kept.value.generation);
        expect(text((await store.getFile('/dir/child')).value.contents)).toBe('c');
        expect(read.revision).toBeGreaterThanOrEqual(cursor);
        if (factory.restartKeepsSessions) {
          expect(await valid(seq)).toBe(true);
          await store.keepAlive(a.sessionId);
          expect((await store.getFile('/eph')).value.ephemeralOwner).toBe(a.sessionId);
        } else {
          expect(await valid(seq)).toBe(false);
          expect(read.value.lock).toBeUndefined();
          await expectKdiError(store.keepAlive(a.sessionId), 'NOT_FOUND');
          await expectKdiError(store.getFile('/eph'), 'NOT_FOUND');
          expect((await store.status()).safeModeRemainingMs).toBeGreaterThan(0);
          const b = await session(L.maxTtlMs);
          expect(await acquire(b.sessionId, '/kept')).toMatchObject({ acquired: false, reason: 'safe-mode' });
          const granted = await until(
            'a grant after safe mode',
            async () => {
              await store.keepAlive(b.sessionId);
              const o = await acquire(b.sessionId, '/kept');
              return o.acquired && o.sequencer;
            },
            L.maxTtlMs + L.lockDelayMs + PATIENCE_MS,
          );
          expect(granted.generation).toBeGreaterThan(cursor);
        }
        const next = await store.setContents('/kept', bytes('after'), { ifGeneration: changed.value.generation });
        expect(next.value.generation).toBeGreaterThan(cursor);
        expect(next.revision).toBeGreaterThan(cursor);
      });
    });
  });
}
