// Sequencer checks as a receiver of privileged calls would make them,
// against a real lock server (through a proxy that counts the calls).

import { KdiError, type Sequencer } from '@kdi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../test-support/fault-proxy.js';
import { startEmbeddedLockServer } from '../test-support/embedded-lock-server.js';
import { type RunningLockServer } from '../test-support/lock-server.js';
import { ManualClock } from '@kdi/primitives';
import { LockClient } from './lock-client.js';
import type { LockSession } from './lock-session.js';
import { SequencerChecker, checkSequencer } from './sequencer-checker.js';

const VALIDATE = /^POST \/v1\/sequencers\/validate$/;

let server: RunningLockServer;
let proxy: FaultProxy;
let holderClient: LockClient;
let holder: LockSession;
let receiver: LockClient;
const clock = new ManualClock({ monotonicMs: 0 });

beforeAll(async () => {
  server = await startEmbeddedLockServer();
  proxy = await FaultProxy.start(server.url);
  holderClient = new LockClient({ url: server.url, ttlMs: 5_000 });
  holder = await holderClient.openSession();
  // The receiver's clock only drives its cache here.
  receiver = new LockClient({ url: proxy.url, clock });
});

afterAll(async () => {
  await holder?.close();
  await holderClient?.close();
  await receiver?.close();
  await proxy?.close();
  await server?.close();
});

async function grant(path: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<Sequencer> {
  const r = await holder.acquire(path, { mode });
  if (!r.acquired) throw new Error(`expected a grant of ${path}, got ${r.reason}`);
  return r.sequencer;
}

describe('checkSequencer', () => {
  it('accepts a held grant and refuses it with FAILED_PRECONDITION once released', async () => {
    await holderClient.createFile('/q/one');
    const seq = await grant('/q/one');
    await expect(checkSequencer(receiver, seq)).resolves.toBeUndefined();
    await holder.release('/q/one');
    const e = (await checkSequencer(receiver, seq).catch((err: unknown) => err)) as KdiError;
    expect(e).toBeInstanceOf(KdiError);
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.details).toMatchObject({ path: '/q/one', generation: seq.generation });
  });
});

describe('SequencerChecker', () => {
  it('refuses an older exclusive grant without asking once a newer grant was seen valid', async () => {
    await holderClient.createFile('/q/two');
    const checker = new SequencerChecker(receiver);
    const old = await grant('/q/two');
    await holder.release('/q/two');
    const fresh = await grant('/q/two');
    await checker.require(fresh);
    const calls = proxy.count(VALIDATE);
    const r = await checker.check(old);
    expect(r.valid).toBe(false);
    expect(r.reason).toContain(`generation ${fresh.generation}`);
    expect(proxy.count(VALIDATE)).toBe(calls);
    await expect(checker.require(old)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await holder.release('/q/two');
  });

  it('asks every time without a cache, and reuses a positive answer for cacheTtlMs with one', async () => {
    await holderClient.createFile('/q/three');
    const seq = await grant('/q/three');
    const uncached = new SequencerChecker(receiver);
    let calls = proxy.count(VALIDATE);
    await uncached.require(seq);
    await uncached.require(seq);
    expect(proxy.count(VALIDATE)).toBe(calls + 2);

    const cached = new SequencerChecker(receiver, { cacheTtlMs: 1_000 });
    calls = proxy.count(VALIDATE);
    await cached.require(seq);
    clock.advance(999);
    await cached.require(seq);
    expect(proxy.count(VALIDATE)).toBe(calls + 1);
    clock.advance(1);
    await holder.release('/q/three');
    // The cached answer has run out: the release is seen.
    await expect(cached.require(seq)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(proxy.count(VALIDATE)).toBe(calls + 2);
  });

  it('keeps shared holders valid side by side', async () => {
    await holderClient.createFile('/q/shared');
    const other = await holderClient.openSession();
    try {
      const first = await grant('/q/shared', 'shared');
      const r = await other.acquire('/q/shared', { mode: 'shared' });
      if (!r.acquired) throw new Error('expected a shared grant');
      const checker = new SequencerChecker(receiver);
      await checker.require(r.sequencer);
      // The newer shared grant does not make the older shared one stale.
      await checker.require(first);
    } finally {
      await other.close();
      await holder.release('/q/shared');
    }
  });
});
