// A client SIGSTOPped past its lease loses its lock and its ephemeral file;
// another client gets the lock after the lock-delay, with a newer
// generation; after SIGCONT the old client learns its session expired and
// its old sequencer is refused.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sequencer } from '@kdi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, eventually, startCluster, TTL_MS } from './backends.js';

const HOLDER = fileURLToPath(new URL('./holder-process.ts', import.meta.url));

interface Line {
  event: string;
  sequencer?: Sequencer;
  valid?: boolean;
  live?: boolean;
}

function startHolder(url: string): { child: ChildProcess; lines: Line[] } {
  const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', HOLDER], {
    env: { PATH: process.env.PATH ?? '', LOCK_URL: url, TTL_MS: String(TTL_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line);
      buf = buf.slice(i + 1);
    }
  });
  return { child, lines };
}

describe('a paused client', () => {
  let cluster: Cluster | undefined;
  let holder: ChildProcess | undefined;
  afterEach(async () => {
    if (holder?.pid && holder.exitCode === null) {
      process.kill(holder.pid, 'SIGCONT');
      process.kill(holder.pid, 'SIGKILL');
    }
    await cluster?.close();
    cluster = undefined;
  });

  for (const backend of ['embedded', 'redis'] as const) {
    it(`${backend}: loses its lock and ephemeral file past its TTL, and its old sequencer is refused`, async () => {
      cluster = await startCluster(backend);
      await cluster.untilGranting();
      const h = startHolder(cluster.servers[0]!.url);
      holder = h.child;
      await eventually('the holder takes the lock', async () => h.lines.some((l) => l.event === 'holding'), 30_000);
      const old = h.lines.find((l) => l.event === 'holding')!.sequencer!;
      const observer = cluster.client();
      expect((await observer.validateSequencer(old)).valid).toBe(true);
      expect((await observer.stat('/test/holder-ephemeral')).ephemeral).toBe(true);

      process.kill(h.child.pid!, 'SIGSTOP');
      // The service expires the session: lock released, ephemeral file gone.
      await eventually('the lock to be released', async () => (await observer.stat('/test/lock')).lock.mode === 'none');
      await expect(observer.stat('/test/holder-ephemeral')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await observer.validateSequencer(old)).valid).toBe(false);

      // Another client gets the lock once the lock-delay has passed, newer.
      const other = await observer.openSession();
      let grant: Sequencer | undefined;
      await eventually('the other client to get the lock', async () => {
        const r = await other.acquire('/test/lock', { mode: 'exclusive' });
        if (r.acquired) grant = r.sequencer;
        else expect(['lock-delay', 'held']).toContain(r.reason);
        return r.acquired;
      });
      expect(grant!.generation).toBeGreaterThan(old.generation);

      // Resumed, the old holder learns it is expired and its sequencer is refused.
      const seen = h.lines.length;
      process.kill(h.child.pid!, 'SIGCONT');
      await eventually('the old holder to see its session expired', async () => h.lines.slice(seen).some((l) => l.event === 'expired'));
      await eventually('a refused write', async () => h.lines.slice(seen).some((l) => l.event === 'write-attempt' && l.valid === false));
      // (A check already in flight when it was stopped may still print valid;
      // once refused, never valid again.)
      const after = h.lines.slice(seen);
      const firstRefused = after.findIndex((l) => l.event === 'write-attempt' && l.valid === false);
      expect(after.slice(firstRefused).some((l) => l.event === 'write-attempt' && l.valid === true)).toBe(false);
      expect((await observer.validateSequencer(grant!)).valid).toBe(true);
      await other.close();
    });
  }
});
