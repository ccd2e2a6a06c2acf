// The built server as a real process: `node dist/main.js` with the
// embedded backend on a random port. It prints the listening line, serves
// HTTP, refuses a raw '..' path (which no URL-normalising client can send),
// ends a pending long poll and exits 0 on SIGTERM, and exits 2 naming every
// bad setting when the environment is wrong.
//
// Building: the dists of @kdi/protocol and @kdi/service-kit are what `node`
// resolves at run time (the kdi-source condition is for tests only), so
// the app and they are built first (buildIfStale: through Nx, only when a
// source is newer than dist/) — other suites run servers from dist/ at the
// same time, and rewriting it under them made those fail.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale, startServiceProcess, type ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from './harness.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** The environment without any KDI_LOCK_* of the test runner's own. */
function baseEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('KDI_LOCK_')));
}

async function startServer(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess({ main: 'dist/main.js', tsx: false, cwd: APP_DIR, env: { ...baseEnv(), ...env }, name: 'lock server' });
}

function rawRequest(url: string, method: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the lock server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    await buildIfStale({ repoRoot: REPO, project: '@kdi/lockserver', appDir: APP_DIR, libDirs: ['primitives', 'protocol', 'service-kit'].map((l) => join(REPO, 'libs', l)) });
    dataDir = await mkdtemp(join(tmpdir(), 'kdi-lockserver-process-'));
  }, 240_000);
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on a random port, serves, and exits 0 on SIGTERM even with a long poll open', async () => {
    const server = await startServer({
      KDI_LOCK_BACKEND: 'embedded',
      KDI_LOCK_DATA_DIR: dataDir,
      KDI_LOCK_PORT: '0',
      KDI_LOCK_CLUSTER_SECRET: TEST_SECRET,
      KDI_LOCK_LOG_LEVEL: 'warn',
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const auth = { authorization: `Bearer ${TEST_SECRET}` };
      expect((await fetch(`${server.url}/v1/status`)).status).toBe(401);
      const created = await fetch(`${server.url}/v1/files/proc/f`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"contents":"hi"}' });
      expect(created.status).toBe(201);

      const dotdot = await rawRequest(server.url, 'POST', '/v1/files/proc/../f', '{"contents":"x"}', auth);
      expect(dotdot.status).toBe(400);
      expect(JSON.parse(dotdot.body).error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/'\.\.' segment/) });

      const poll = fetch(`${server.url}/v1/watch?path=/proc/g&timeoutMs=60000`, { headers: auth });
      await new Promise((r) => setTimeout(r, 200));
      server.child.kill('SIGTERM');
      const answered = await poll;
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as { events: unknown[] }).events).toEqual([]);
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
  });

  it('keeps non-ephemeral files across a restart on the same data directory', async () => {
    const server = await startServer({ KDI_LOCK_DATA_DIR: dataDir, KDI_LOCK_PORT: '0', KDI_LOCK_CLUSTER_SECRET: TEST_SECRET, KDI_LOCK_LOG_LEVEL: 'info' });
    try {
      const r = await fetch(`${server.url}/v1/files/proc/f`, { headers: { authorization: `Bearer ${TEST_SECRET}`, 'x-request-id': 'proc-read-1' } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { contents: string }).contents).toBe('hi');
      server.child.kill('SIGINT');
      expect((await server.exited).code).toBe(0);
      // stdout is the listening line alone; the logs (JSON, with request ids) are on stderr.
      expect(server.stdout().trim().split('\n')).toEqual([JSON.stringify({ event: 'listening', url: server.url })]);
      const logs = server
        .stderr()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { requestId?: string; msg?: string });
      expect(logs.some((l) => l.requestId === 'proc-read-1')).toBe(true);
      expect(logs.some((l) => l.msg === 'shutting down')).toBe(true);
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
  });

  it('exits 2 naming every bad setting', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: APP_DIR,
      env: { ...baseEnv(), KDI_LOCK_BACKEND: 'redis', KDI_LOCK_PORT: 'eighty', KDI_LOCK_LOG_LEVEL: 'chatty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/KDI_LOCK_PORT: "eighty" is not a whole number/);
    expect(stderr).toMatch(/KDI_LOCK_LOG_LEVEL: must be one of/);
    expect(stderr).toMatch(/KDI_LOCK_REDIS_URL: is required when backend is 'redis'/);
  });
});
