// Durability end to end (DESIGN §4, issue 4): a real tablet-server process
// on a real lock server (127.0.0.1) takes writes with waitForSync from
// concurrent clients and is killed with SIGKILL at a random moment; after a
// restart every acknowledged cell is there and nothing that was never
// written is. Repeated over seeds, several kills each.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedLockServer } from '../../../libs/client-sdk/src/test-support/embedded-lock-server.js';
import type { RunningLockServer } from '../../../libs/client-sdk/src/test-support/lock-server.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const SECRET = 'crash-test-cluster-secret';

interface Proc {
  child: ChildProcess;
  url: string;
}

async function startServer(dataDir: string, lockUrl: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      KDI_TS_SERVER_ID: 'ts-crash',
      KDI_TS_DATA_DIR: dataDir,
      KDI_TS_PORT: '0',
      KDI_TS_CLUSTER_SECRET: SECRET,
      KDI_TS_LOCK_URL: lockUrl,
      KDI_TS_LEASE_TTL_MS: '1000',
      KDI_TS_MEMORY_BUDGET_BYTES: String(64 << 10), // serializations happen during the run
      KDI_TS_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tablet server did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"event":"listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tablet server exited with ${code}:\n${out}`));
    });
  });
  return { child, url };
}

async function post(url: string, body: unknown, admin = false): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(admin && { authorization: `Bearer ${SECRET}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

async function scanAll(base: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let resume: string | undefined;
  for (;;) {
    const r = await post(`${base}/v1/tables/t/scan`, { predicate: '', maxCells: 500, ...(resume && { resume }) });
    expect(r.status).toBe(200);
    for (const c of r.body.cells as { row: string; column: string; value: string }[]) out.set(`${c.row}|${c.column}`, c.value);
    if (r.body.end) return out;
    resume = r.body.resume;
  }
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let lock: RunningLockServer;
beforeAll(async () => {
  lock = await startEmbeddedLockServer({ limits: { minTtlMs: 1000, lockDelayMs: 200 } });
});
afterAll(async () => lock.close());

describe('tablet server killed with SIGKILL', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: every acknowledged cell survives restarts, nothing is invented`, async () => {
      const r = rng(seed);
      const dataDir = await mkdtemp(join(tmpdir(), 'kdi-ts-crash-'));
      let proc: Proc | undefined;
      // Every cell is its own key, so "acknowledged" means "exactly this value is there".
      const attempted = new Map<string, string>();
      const acked = new Map<string, string>();
      let serial = 0;
      try {
        for (let round = 0; round < 3; round++) {
          proc = await startServer(dataDir, lock.url);
          const load = await post(`${proc.url}/v1/admin/tablets`, { table: 't', tabletId: 'only' }, true);
          expect(load.status, JSON.stringify(load.body)).toBe(201);
          const present = await scanAll(proc.url);
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
          const exited = new Promise((res) => proc!.child.once('exit', res));
          proc.child.kill('SIGKILL');
          await Promise.all(writers);
          await exited;
          proc = undefined;
        }
        expect(acked.size).toBeGreaterThan(20);
      } finally {
        if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
