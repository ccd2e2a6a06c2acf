// Durability end to end (DESIGN §4, issue 4): a real tablet-server process
// on a real lock server (127.0.0.1) takes writes with waitForSync from
// concurrent clients and is killed with SIGKILL at a random moment; after a
// restart every acknowledged cell is there and nothing that was never
// written is. Repeated over seeds, several kills each. Each restart goes
// the cluster way: the (fake) master reassigns META and the tablet with new
// epochs and the server loads them from the root and META — taking over
// what its engine kept, as the config names only its own log.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLockServer, startEmbeddedLockServer } from '@kdi/client-sdk/test-support';
import { seededRandom } from '@kdi/primitives/test-support';
import { FakeMaster, kill9, post, scanTable, type ServerProc, startServerProcess } from './cluster.js';

const rng = seededRandom;

let lock: RunningLockServer;
beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
});
afterAll(async () => lock.close());

describe('tablet server killed with SIGKILL', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: every acknowledged cell survives restarts, nothing is invented`, async () => {
      const r = rng(seed);
      const master = await new FakeMaster(lock.url).start();
      await master.lock.deleteFile('/kdi/root').catch(() => undefined);
      const dataDir = await mkdtemp(join(tmpdir(), 'kdi-ts-crash-'));
      let proc: ServerProc | undefined;
      // Every cell is its own key, so "acknowledged" means "exactly this value is there".
      const attempted = new Map<string, string>();
      const acked = new Map<string, string>();
      let serial = 0;
      try {
        for (let round = 0; round < 3; round++) {
          proc = await startServerProcess({ serverId: 'ts-crash', dataDir, lockUrl: lock.url, env: { KDI_TS_MEMORY_BUDGET_BYTES: String(64 << 10) } });
          for (const load of [await master.assignMeta(proc), await master.assign(proc, 't', 'only')]) {
            expect(load.status, JSON.stringify(load.body)).toBe(201);
          }
          const present = await scanTable(proc.url, 't');
          for (const [k, v] of acked) expect(present.get(k), `acknowledged ${k} lost`).toBe(v);
          for (const [k, v] of present) expect(attempted.get(k), `${k}=${v} was never written`).toBe(v);
          for (const [k, v] of present) acked.set(k, v); // what survived is durable from now on

          // Concurrent writers until the kill.
          let killed = false;
          const writers = Array.from({ length: 4 }, async (_, w) => {
            while (!killed) {
              const cells = Array.from({ length: 5 }, () => {
                const n = serial++;
                return { row: `r${String(n).padStart(6, '0')}`, column: 'f:q', timestamp: 1, value: `s${seed}-w${w}-v${n}` };
              });
              for (const c of cells) attempted.set(`${c.row}|${c.column}`, c.value);
              const res = await post(`${proc!.url}/v1/tables/t/apply`, { cells }).catch(() => undefined);
              if (res?.status === 200) for (const c of cells) acked.set(`${c.row}|${c.column}`, c.value);
            }
          });
          await new Promise((res) => setTimeout(res, 300 + r() * 900));
          killed = true;
          await kill9(proc);
          await Promise.all(writers);
          proc = undefined;
        }
        expect(acked.size).toBeGreaterThan(20);
      } finally {
        if (proc) await kill9(proc);
        await master.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
