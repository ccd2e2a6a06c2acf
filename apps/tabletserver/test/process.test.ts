// The built server as a real process: `node dist/main.js` on a random
// port with a worker thread for serialization. It prints the listening
// line, takes a tablet from the admin API, applies and scans through JSON
// and binary bodies, flushes to disk on a worker, exits 0 on SIGTERM,
// serves the same data after a restart, and exits 2 naming every bad
// setting when the environment is wrong.
//
// Building: `node` resolves the libraries' dist (the kdi-source condition
// is for tests only), so the app and the libraries it imports are built
// first (buildIfStale: through Nx, only when a source is newer than
// dist/) — other suites run servers from dist/ at the same time, and
// rewriting it under them made those fail.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CELL_BLOCK_MIME_TYPE, decodeCellBlock, encodeCellBlock, NO_LIMITS } from '@kdi/protocol';
import { buildIfStale, startServiceProcess, type ServiceProcess } from '@kdi/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from './harness.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** The environment without any KDI_TS_* of the test runner's own. */
function baseEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('KDI_TS_')));
}

async function startServer(dataDir: string, logLevel = 'warn'): Promise<ServiceProcess> {
  const env = {
    KDI_TS_SERVER_ID: 'ts-proc',
    KDI_TS_DATA_DIR: dataDir,
    KDI_TS_PORT: '0',
    KDI_TS_CLUSTER_SECRET: TEST_SECRET,
    KDI_TS_WORKER_THREADS: '1',
    KDI_TS_LOG_LEVEL: logLevel,
  };
  return startServiceProcess({ main: 'dist/main.js', tsx: false, cwd: APP_DIR, env: { ...baseEnv(), ...env }, name: 'tablet server' });
}

const ADMIN = { authorization: `Bearer ${TEST_SECRET}`, 'content-type': 'application/json' };
const JSON_TYPE = { 'content-type': 'application/json' };

describe('the tablet server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    await buildIfStale({
      repoRoot: REPO,
      project: '@kdi/tabletserver',
      appDir: APP_DIR,
      libDirs: ['primitives', 'protocol', 'storage', 'client-sdk', 'service-kit'].map((l) => join(REPO, 'libs', l)),
    });
    // A data directory that does not exist yet: the server makes it.
    dataDir = join(await mkdtemp(join(tmpdir(), 'kdi-tabletserver-process-')), 'data');
  }, 300_000);
  afterAll(async () => {
    if (dataDir) await rm(dirname(dataDir), { recursive: true, force: true });
  });

  it('serves the Table API, flushes on a worker thread, and exits 0 on SIGTERM', async () => {
    const server = await startServer(dataDir);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // Its disks are measured from the start (the engine places tablets by free bytes), with no warning.
      expect(server.stderr()).not.toContain('cannot measure a data directory');
      expect((await fetch(`${server.url}/v1/admin/status`)).status).toBe(401);
      const load = await fetch(`${server.url}/v1/admin/tablets`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ table: 'web', tabletId: 'web-1' }) });
      expect(load.status).toBe(201);
      const apply = await fetch(`${server.url}/v1/tables/web/apply`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ cells: [{ row: 'com.example', column: 'contents:', timestamp: 1, value: '<html>' }] }),
      });
      expect(apply.status).toBe(200);
      const block = encodeCellBlock([{ row: Buffer.from('org.example'), column: Buffer.from('contents:'), timestamp: 1, value: Buffer.from('<p>') }]);
      const binary = await fetch(`${server.url}/v1/tables/web/apply`, { method: 'POST', headers: { 'content-type': CELL_BLOCK_MIME_TYPE }, body: block });
      expect(binary.status, await binary.clone().text()).toBe(200);
      const flushed = await fetch(`${server.url}/v1/admin/serialize`, { method: 'POST', headers: ADMIN, body: '{}' });
      expect(await flushed.json()).toEqual({ memoryBytes: 0 });
      const scan = await fetch(`${server.url}/v1/tables/web/scan`, { method: 'POST', headers: { ...JSON_TYPE, accept: CELL_BLOCK_MIME_TYPE }, body: '{}' });
      expect(scan.headers.get('x-kdi-end')).toBe('true');
      const cells = decodeCellBlock(new Uint8Array(await scan.arrayBuffer()), { limits: NO_LIMITS });
      expect(cells.map((c) => Buffer.from(c.row).toString())).toEqual(['com.example', 'org.example']);
      // DESIGN §15 metrics with real values: the two durable applies synced the log,
      // the data directory's filesystem has free space, and the process metrics are there.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(Number(/^tabletserver_log_sync_seconds_count (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^tabletserver_log_sync_batch_bytes_sum (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(Number(/^tabletserver_log_sync_batch_records_sum (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/^tabletserver_disk_free_bytes\{dir="[^"]+"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(/^tabletserver_compaction_pending 0$/m);
      expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
  });

  it('serves the same data after a restart on the same data directory', async () => {
    const server = await startServer(dataDir, 'info');
    try {
      await fetch(`${server.url}/v1/admin/tablets`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ table: 'web', tabletId: 'web-1' }) });
      const scan = await fetch(`${server.url}/v1/tables/web/scan`, {
        method: 'POST',
        headers: { ...JSON_TYPE, 'x-request-id': 'proc-scan-1' },
        body: JSON.stringify({ predicate: "row ~= 'org'" }),
      });
      expect(((await scan.json()) as { cells: unknown[] }).cells).toEqual([{ row: 'org.example', column: 'contents:', timestamp: 1, value: '<p>' }]);
      server.child.kill('SIGINT');
      expect((await server.exited).code).toBe(0);
      // stdout is the listening line alone; the logs (JSON, with request ids) are on stderr.
      expect(server.stdout().trim().split('\n')).toEqual([JSON.stringify({ event: 'listening', url: server.url, serverId: 'ts-proc' })]);
      const logs = server
        .stderr()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { requestId?: string; msg?: string });
      expect(logs.some((l) => l.requestId === 'proc-scan-1')).toBe(true);
      expect(logs.some((l) => l.msg === 'shutting down')).toBe(true);
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
  });

  it('exits 2 naming every bad setting', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: APP_DIR,
      env: { ...baseEnv(), KDI_TS_PORT: 'eighty', KDI_TS_LOG_LEVEL: 'chatty', KDI_TS_SERVER_ID: 'ts 1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/KDI_TS_PORT: "eighty" is not a whole number/);
    expect(stderr).toMatch(/KDI_TS_LOG_LEVEL: must be one of/);
    expect(stderr).toMatch(/KDI_TS_SERVER_ID: must be 1-128 characters/);
    expect(stderr).toMatch(/KDI_TS_DATA_DIR: is required/);
    expect(stderr).toMatch(/KDI_TS_CLUSTER_SECRET: is required/);
  });
});
