// Redis failures under a running lock server (a real process):
//  - kill -9 and restart with appendfsync always: no file, lock or
//    generation is lost;
//  - restart without persistence: safe mode engages, the old holder's
//    session is gone, nobody is granted the lock until the old lease has
//    run out (never two holders), and generations never go down.

import type { Sequencer } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, eventually, startCluster } from './backends.js';

describe('Redis restarts under the lock server', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('kill -9 with appendfsync always loses no file, lock or generation', async () => {
    // A lease long enough to ride out the Redis restart.
    cluster = await startCluster('redis', { appendOnly: true, env: { KDI_LOCK_MAX_TTL_MS: '6000' } });
    await cluster.untilGranting();
    const client = cluster.client(0, { ttlMs: 6000 });
    const session = await client.openSession();
    await client.createFile('/kdi/root', { contents: 'META at ts-1' });
    const set = await client.setContents('/kdi/root', 'META at ts-2');
    const r = await session.acquire('/kdi/root', { mode: 'exclusive' });
    expect(r.acquired).toBe(true);
    const seq = (r as { sequencer: Sequencer }).sequencer;

    await cluster.redis!.kill9();
    await cluster.redis!.restart();

    const observer = cluster.client();
    await eventually(
      'the lock server to reach Redis again',
      async () =>
        await observer.status().then(
          () => true,
          () => false,
        ),
    );
    const file = await observer.getFile('/kdi/root');
    expect(file.contents).toBe('META at ts-2');
    expect(file.generation).toBe(set.generation);
    expect((await observer.validateSequencer(seq)).valid).toBe(true);
    const status = await observer.status();
    expect(status.safeModeRemainingMs).toBe(0); // same incarnation: nothing was lost
    expect(status.revision).toBeGreaterThanOrEqual(seq.generation);
    // The holder's session survived too (its keep-alives resume).
    await eventually('the holder to be safe', async () => session.state === 'safe');
    const other = await observer.openSession();
    expect((await other.acquire('/kdi/root', { mode: 'exclusive' })).acquired).toBe(false);
    await session.release('/kdi/root');
    const next = await other.acquire('/kdi/root', { mode: 'exclusive' });
    expect(next.acquired && next.sequencer.generation > seq.generation).toBe(true);
  });

  it('a restart without persistence: safe mode, never two holders, generations keep growing', async () => {
    cluster = await startCluster('redis', { appendOnly: false });
    await cluster.untilGranting();
    const client = cluster.client(0, { ttlMs: 1500 });
    const session = await client.openSession();
    let expiredAt: number | undefined;
    session.on('expired', () => (expiredAt = performance.now()));
    await client.createFile('/kdi/master', { contents: 'm1' });
    const r = await session.acquire('/kdi/master', { mode: 'exclusive' });
    expect(r.acquired).toBe(true);
    const seq = (r as { sequencer: Sequencer }).sequencer;
    const before = (await client.status()).revision;

    await cluster.redis!.kill9();
    await cluster.redis!.restart(); // no AOF: every key is gone

    const observer = cluster.client();
    await eventually('the lock server to notice the data loss', async () => {
      const s = await observer.status().catch(() => undefined);
      return s !== undefined && s.safeModeRemainingMs > 0;
    });
    expect((await observer.status()).revision).toBeGreaterThan(before);
    expect((await observer.validateSequencer(seq)).valid).toBe(false);
    await observer.createFile('/kdi/master', { contents: 'm2' });
    const other = await observer.openSession();
    const refused = await other.acquire('/kdi/master', { mode: 'exclusive' });
    expect(refused).toMatchObject({ acquired: false, reason: 'safe-mode' });

    let grant: Sequencer | undefined;
    await eventually(
      'a grant after the safe window',
      async () => {
        const x = await other.acquire('/kdi/master', { mode: 'exclusive' });
        if (x.acquired) grant = x.sequencer;
        return x.acquired;
      },
      30_000,
    );
    const grantedAt = performance.now();
    // Never two holders: the old holder knew it had lost its lease before the new grant.
    expect(session.isLive()).toBe(false);
    expect(expiredAt).toBeDefined();
    expect(expiredAt!).toBeLessThanOrEqual(grantedAt);
    expect(grant!.generation).toBeGreaterThan(seq.generation);
    expect(grant!.generation).toBeGreaterThan(before);
  });
});
