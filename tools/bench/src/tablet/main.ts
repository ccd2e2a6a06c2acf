// `npm run bench:tablet` — a quick load figure for the tablet server
// (issue 4): durable writes through the binary cell encoding from 16
// concurrent clients, batches of 100 cells of 100-byte values (cells/s and
// request latency p50/p99), then a full scan with binary pages (cells/s).
// SDK mode (issue 8): the same durable write load through the SDK's
// buffered writer (flushes of 100 cells, 16 in flight), so the SDK's cost
// shows against the raw requests. Raw and SDK phases alternate, each on a
// fresh server, 3 rounds (1 with --quick); the figures are the medians.
// The peer is Redis on this machine: `redis-benchmark -t set -P 16 -d 100`
// against a redis-server the bench starts with appendonly yes and
// appendfsync always (its own port and directory, stopped by PID).
//
// The tablet server runs as the compiled process (apps/tabletserver/dist),
// on loopback, as it would in production; the client is undici.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@kdi/client-sdk';
import { CELL_BLOCK_MIME_TYPE, cellBytes, decodeCellBlock, encodeCellBlock, NO_LIMITS, type Cell } from '@kdi/protocol';
import { Pool } from 'undici';
import { COMMON_FLAGS, flagBoolean, flagOutPath, parseArgs, usage } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { comparedResult, type BenchResult, writeReport } from '../common/report.js';
import { formatNumber, formatTable } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { freePort } from '../common/free-port.js';

const SERVER = fileURLToPath(new URL('../../../../apps/tabletserver/dist/main.js', import.meta.url));
const SECRET = 'bench-cluster-secret-0123';
const CLIENTS = 16;
const BATCH = 100;
const VALUE_BYTES = 100;

async function startTabletServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      KDI_TS_SERVER_ID: 'bench',
      KDI_TS_DATA_DIR: dataDir,
      KDI_TS_PORT: '0',
      KDI_TS_CLUSTER_SECRET: SECRET,
      KDI_TS_LOG_LEVEL: 'warn',
      KDI_TS_WORKER_THREADS: '1',
      KDI_TS_BACK_PRESSURE_WAIT_MS: '30000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`tablet server exited with ${code}`)));
  });
  return { child, url };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function writeLoad(pool: Pool, seconds: number): Promise<{ cells: number; elapsed: number; latencies: number[] }> {
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const latencies: number[] = [];
  let cells = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (performance.now() < deadline) {
        const batch: Cell[] = [];
        const base = next;
        next += BATCH;
        for (let i = 0; i < BATCH; i++) {
          batch.push({ row: Buffer.from(`c${String(client).padStart(2, '0')}-${String(base + i).padStart(10, '0')}`), column: Buffer.from('f:q'), timestamp: 1, value });
        }
        const body = encodeCellBlock(batch);
        const t0 = performance.now();
        const res = await pool.request({ method: 'POST', path: '/v1/tables/bench/apply', headers: { 'content-type': CELL_BLOCK_MIME_TYPE }, body });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`apply answered ${res.statusCode}: ${text}`);
        latencies.push(performance.now() - t0);
        cells += BATCH;
      }
    }),
  );
  return { cells, elapsed: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

/** The same load as writeLoad, through the SDK's writer: batches of BATCH cells, CLIENTS in flight, each durable. */
async function sdkWriteLoad(url: string, seconds: number): Promise<{ cells: number; elapsed: number }> {
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const rowOf = (client: number, i: number) => Buffer.from(`c${String(client).padStart(2, '0')}-${String(i).padStart(10, '0')}`);
  const oneCell = cellBytes({ row: rowOf(0, 0), column: Buffer.from('f:q'), timestamp: 1, value });
  const kdi = await connect({ servers: [url], singleServer: true, connectionsPerServer: CLIENTS + 2 });
  try {
    const w = kdi.table('bench').writer({ maxBytes: oneCell * BATCH, maxInFlight: CLIENTS, flushIntervalMs: 50 });
    const start = performance.now();
    const deadline = start + seconds * 1000;
    let next = 0;
    for (let k = 0; performance.now() < deadline; k++) {
      const base = next;
      next += BATCH;
      const batch: Cell[] = [];
      for (let i = 0; i < BATCH; i++) batch.push({ row: rowOf(k % CLIENTS, base + i), column: Buffer.from('f:q'), timestamp: 1, value });
      await w.add(batch);
    }
    await w.close();
    return { cells: w.written, elapsed: (performance.now() - start) / 1000 };
  } finally {
    await kdi.close();
  }
}

async function loadBenchTablet(pool: Pool): Promise<void> {
  const load = await pool.request({
    method: 'POST',
    path: '/v1/admin/tablets',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    body: JSON.stringify({ table: 'bench', tabletId: 'bench-1' }),
  });
  if (load.statusCode !== 201) throw new Error(`load answered ${load.statusCode}: ${await load.body.text()}`);
  await load.body.dump();
}

async function scanAll(pool: Pool): Promise<{ cells: number; elapsed: number }> {
  const start = performance.now();
  let cells = 0;
  let resume: string | undefined;
  for (;;) {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/tables/bench/scan',
      headers: { 'content-type': 'application/json', accept: CELL_BLOCK_MIME_TYPE },
      body: JSON.stringify({ predicate: '', maxCells: 10_000, ...(resume && { resume }) }),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`scan answered ${res.statusCode}: ${body.toString()}`);
    cells += decodeCellBlock(body, { limits: NO_LIMITS }).length;
    if (res.headers['x-kdi-end'] === 'true') break;
    resume = String(res.headers['x-kdi-resume']);
  }
  return { cells, elapsed: (performance.now() - start) / 1000 };
}

async function redisPeer(dir: string, requests: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], {
    stdio: 'ignore',
  });
  try {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await promisify(execFile)('redis-cli', ['-p', String(port), 'ping']).then(
        () => true,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error(`redis-server did not answer on port ${port}`);
    const { stdout } = await promisify(execFile)('redis-benchmark', ['-p', String(port), '-t', 'set', '-P', '16', '-d', String(VALUE_BYTES), '-n', String(requests), '-q'], {
      timeout: 300_000,
    });
    const m = /SET: ([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'));
    if (!m) throw new Error(`could not read redis-benchmark output: ${stdout}`);
    return Number(m[1]);
  } finally {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
  }
}

async function main(): Promise<void> {
  const specs = COMMON_FLAGS;
  const flags = parseArgs(process.argv.slice(2), specs);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:tablet --', specs));
    return;
  }
  const quick = flagBoolean(flags, 'quick');
  const seconds = quick ? 5 : 20;
  const rounds = quick ? 1 : 3;
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  console.log(formatMachine(machine));
  const tmp = await makeTempDir('kdi-bench-tablet');
  try {
    console.log(`writing for ${seconds} s: ${CLIENTS} clients, batches of ${BATCH} cells of ${VALUE_BYTES} B, binary, waitForSync`);
    // Raw requests and the SDK writer alternate, each on a fresh server, ROUNDS times (the machine's load drifts; medians are kept).
    const raws: Array<Awaited<ReturnType<typeof writeLoad>>> = [];
    const sdks: Array<Awaited<ReturnType<typeof sdkWriteLoad>>> = [];
    let s: Awaited<ReturnType<typeof scanAll>> | undefined;
    for (let round = 0; round < rounds; round++) {
      const raw = await startTabletServer(join(tmp.path, `ts-raw-${round}`));
      const pool = new Pool(raw.url, { connections: CLIENTS + 2 });
      try {
        await loadBenchTablet(pool);
        const w = await writeLoad(pool, seconds);
        raws.push(w);
        if (round === 0) {
          s = await scanAll(pool);
          if (s.cells !== w.cells) throw new Error(`the scan saw ${s.cells} cells, ${w.cells} were written`);
        }
      } finally {
        await pool.close();
        raw.child.kill('SIGTERM');
        await once(raw.child, 'exit');
      }
      console.log(`round ${round + 1}/${rounds}: raw ${formatNumber(raws[round]!.cells / raws[round]!.elapsed)} cells/s; the same load through the SDK writer …`);
      const fresh = await startTabletServer(join(tmp.path, `ts-sdk-${round}`));
      const admin = new Pool(fresh.url, { connections: 1 });
      try {
        await loadBenchTablet(admin);
        sdks.push(await sdkWriteLoad(fresh.url, seconds));
        console.log(`round ${round + 1}/${rounds}: SDK writer ${formatNumber(sdks[round]!.cells / sdks[round]!.elapsed)} cells/s`);
      } finally {
        await admin.close();
        fresh.child.kill('SIGTERM');
        await once(fresh.child, 'exit');
      }
    }
    // The median round of each mode (its latencies go with it).
    const rate = (r: { cells: number; elapsed: number }) => r.cells / r.elapsed;
    const medianOf = <T extends { cells: number; elapsed: number }>(xs: T[]): T => [...xs].sort((a, b) => rate(a) - rate(b))[Math.floor(xs.length / 2)]!;
    const w = medianOf(raws);
    const sdk = medianOf(sdks);
    if (s === undefined) throw new Error('no scan was run');
    const writeRate = w.cells / w.elapsed;
    const sdkRate = sdk.cells / sdk.elapsed;
    const scanRate = s.cells / s.elapsed;
    console.log('redis-benchmark -t set -P 16 -d 100 against redis-server with appendfsync always …');
    const redis = await redisPeer(join(tmp.path, 'redis'), quick ? 100_000 : 400_000);

    const results: BenchResult[] = [
      comparedResult('durable-write-binary-16c-100x100B', 'ops/s', writeRate, 'redis-set-P16-appendfsync-always', redis),
      comparedResult('durable-write-sdk-writer-16x100x100B', 'ops/s', sdkRate, 'durable-write-binary-16c-100x100B', writeRate),
      { name: 'durable-write-p50-ms', value: Math.round(percentile(w.latencies, 50) * 100) / 100, unit: 'ms' },
      { name: 'durable-write-p99-ms', value: Math.round(percentile(w.latencies, 99) * 100) / 100, unit: 'ms' },
      { name: 'scan-binary-cells', value: Math.round(scanRate), unit: 'ops/s' },
    ];
    console.log(
      formatTable(
        [
          { title: 'figure', align: 'left' },
          { title: 'value', align: 'right' },
          { title: 'peer', align: 'left' },
        ],
        [
          ['durable writes, raw requests, cells/s', formatNumber(writeRate), `redis SET ${formatNumber(redis)}/s`],
          ['durable writes, SDK writer, cells/s', formatNumber(sdkRate), `${((sdkRate / writeRate) * 100).toFixed(1)}% of raw`],
          ['write request p50 (ms)', percentile(w.latencies, 50).toFixed(2), ''],
          ['write request p99 (ms)', percentile(w.latencies, 99).toFixed(2), ''],
          ['full scan, cells/s', formatNumber(scanRate), ''],
        ],
      ),
    );
    const path = flagOutPath(flags);
    if (path) {
      await writeReport(path, { bench: 'tablet', machine, startedAt, results });
      console.log(`wrote ${path}`);
    }
  } finally {
    await tmp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
