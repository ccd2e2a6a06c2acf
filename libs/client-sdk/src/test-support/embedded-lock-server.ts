// TEST SUPPORT (not exported, not built): a real lock server on the
// embedded store with short limits, the one the SDK's tests (and the
// tablet server's cluster tests) talk to.
//
// It runs as a child process (apps/lockserver/src/main.ts through tsx, the
// `kdi-source` condition resolving our libraries to their sources), never
// as an import: no library imports an app, test code included (STYLE.md,
// enforced by @nx/enforce-module-boundaries and tools/ci's dependency
// rules). The server's config reaches it as KDI_LOCK_* variables; its port
// (0: a random free one) is read from the listening line on stdout.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningLockServer } from './lock-server.js';

/** The lock server's store limits (KDI_LOCK_* variables), all optional. */
export interface LockServerLimits {
  readonly minTtlMs?: number;
  readonly maxTtlMs?: number;
  readonly lockDelayMs?: number;
  readonly maxContentsBytes?: number;
  readonly eventRetention?: number;
}

export interface LockServerOverrides {
  readonly limits?: LockServerLimits;
  readonly clusterSecret?: string;
}

const MAIN = fileURLToPath(new URL('../../../../apps/lockserver/src/main.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');
const START_TIMEOUT_MS = 30_000;

const LIMIT_VARIABLES: Record<keyof LockServerLimits, string> = {
  minTtlMs: 'KDI_LOCK_MIN_TTL_MS',
  maxTtlMs: 'KDI_LOCK_MAX_TTL_MS',
  lockDelayMs: 'KDI_LOCK_LOCK_DELAY_MS',
  maxContentsBytes: 'KDI_LOCK_MAX_CONTENTS_BYTES',
  eventRetention: 'KDI_LOCK_EVENT_RETENTION',
};

/** Starts the server; `overrides.limits` are merged over short test limits (100 ms TTL floor and lock delay). */
export async function startEmbeddedLockServer(overrides: LockServerOverrides = {}): Promise<RunningLockServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kdi-lock-client-'));
  const limits: LockServerLimits = { minTtlMs: 100, lockDelayMs: 100, ...overrides.limits };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KDI_LOCK_')) env[k] = v;
  Object.assign(env, {
    KDI_LOCK_BACKEND: 'embedded',
    KDI_LOCK_DATA_DIR: dataDir,
    KDI_LOCK_HOST: '127.0.0.1',
    KDI_LOCK_PORT: '0',
    KDI_LOCK_LOG_LEVEL: 'silent',
  });
  for (const [key, name] of Object.entries(LIMIT_VARIABLES)) {
    const value = limits[key as keyof LockServerLimits];
    if (value !== undefined) env[name] = String(value);
  }
  if (overrides.clusterSecret !== undefined) env['KDI_LOCK_CLUSTER_SECRET'] = overrides.clusterSecret;

  const child = spawn(process.execPath, ['--conditions=kdi-source', '--import', TSX, MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A real lock server runs on a host of its own; here it shares the CPUs with
  // the test and the servers under test, and short test TTLs (600 ms) expire
  // when it waits for a time slice. Ask for a higher priority where allowed
  // (root, as CI runs); elsewhere it simply stays at the default.
  try {
    if (child.pid !== undefined) setPriority(child.pid, -10);
  } catch {
    // not permitted: keep the default priority
  }
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4096);
  });
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`lock server did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
        const m = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`lock server exited (${code ?? signal}) before listening: ${stderr}`));
      });
    });
  } catch (e) {
    await cleanup();
    throw e;
  }

  let closed = false;
  return {
    url,
    dataDir,
    close: async () => {
      if (closed) return;
      closed = true;
      await cleanup();
    },
  };
}
