// `npm run bench:paper` (issue 12; DESIGN §17): the Bigtable paper's
// per-server benchmark (Chang et al., OSDI 2006, §7, Figure 6) against ONE
// KDI tablet server, with Redis on this machine as the peer for point
// writes and reads.
//
// - The cluster is the standalone launcher with one tablet server on free
//   ports (or a running cluster with `--master URL`: then put one tablet
//   server behind it, the figures are per server).
// - Clients go through the SDK (@kdi/client-sdk) from `--clients N`
//   separate processes (worker.ts; default 2 on this 2-core machine), each
//   with `--concurrency C` operations in flight (default 8).
// - R rows (`--values N`, default 40,000; 4,000 with --quick) of one
//   1000-byte random (incompressible, crypto.randomBytes) value each, in
//   column f:v; keys 0 … R−1 as 10-digit decimals, cut into ranges dealt to
//   the clients (keys.ts). The six experiments, in the paper's order, each
//   of R operations: sequential writes (keys in order), random writes
//   (hash(i) mod R), sequential reads, random reads (single-row `get`, as
//   the paper's reads), random reads (mem) on a second table of R/10 rows
//   (the paper's 100 MB beside 1 GB) whose only locality group is
//   inMemory, and scans (every range scanned through the SDK, history = 1;
//   3 runs, the median kept, since a scan takes well under 2 s). Before
//   the first experiment, an untimed warm-up writes and reads 1000–2000
//   rows (R/10 within those bounds) of a table of its own (Redis: keys of
//   their own).
//   Writes are durable: `set` uses the SDK's default waitForSync.
// - Redis (redis-server of our own, appendonly yes, appendfsync always)
//   through ioredis from the same number of processes and lanes: the same
//   sequential load, random writes and random reads.
//
// Prints values/s per experiment beside the paper's one-server figure
// (ratio), p50/p99 per operation (per page for scans), issue 12's target,
// Redis's figure and KDI ÷ Redis; `--out FILE` writes the JSON report:
// results `sequential-writes` … `scans` (values/s, peer: the paper),
// `<name>-p50-ms`/`-p99-ms`, `redis-<name>` and `<name>-vs-redis`. Each
// phase's progress line also gives the CPU per value of the server (the
// tablet server or redis-server, by PID from /proc; not with --master) and
// of the client processes, and for KDI writes the log's fdatasyncs (from
// the tablet server's /metrics): on 2 cores the two CPU figures bound the
// rate, and values per sync says whether group commit batched.

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { COMMON_FLAGS, flagBoolean, flagInteger, flagOutPath, flagString, parseArgs, usage, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { comparedResult, type BenchResult, writeReport } from '../common/report.js';
import { startStandalone, type StandaloneCluster } from '../common/standalone.js';
import { formatNumber, formatRatio, formatTable } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { totalCpuMs } from './cpu.js';
import { ClientProcesses, percentile, type PhaseResult, type PhaseSpec } from './clients.js';
import { EXPERIMENTS, PAPER_PEER, type ExperimentName } from './experiments.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { logSyncs } from './server-metrics.js';

const FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  { name: 'values', kind: 'integer', help: 'R: rows of the table and operations per experiment (default 40000; 4000 with --quick)' },
  { name: 'clients', kind: 'integer', help: 'client processes (default 2)' },
  { name: 'concurrency', kind: 'integer', help: 'operations in flight per client process (default 8)' },
  { name: 'master', kind: 'string', help: 'use the running cluster at this master URL (one tablet server) instead of starting one' },
  { name: 'no-redis', kind: 'boolean', help: 'skip the Redis peer' },
  { name: 'no-coalesce', kind: 'boolean', help: "send every SDK call on its own (connect's coalesceCalls: false), for before/after figures" },
];

const VALUE_BYTES = 1000;
const REDIS_PEER = 'redis-appendfsync-always';

interface Figures {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

function figures(r: PhaseResult): Figures {
  return { rate: r.values / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99) };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** What a phase's line reports about the server beside the rate. */
interface ServerProbe {
  /** The processes whose CPU per value is printed as the server's (none with --master). */
  readonly pids: readonly number[];
  /** The tablet server whose log syncs are counted (none for Redis or with --master). */
  readonly url?: string | undefined;
}

/** Runs a phase; scans, which are short, run 3 times and keep the median run (DESIGN §17). */
async function phase(clients: ClientProcesses, server: ServerProbe, label: string, spec: PhaseSpec, expectValues: number): Promise<Figures> {
  if (spec.op !== 'scan') return onePhase(clients, server, label, spec, expectValues);
  const runs: Figures[] = [];
  for (let k = 0; k < 3; k++) runs.push(await onePhase(clients, server, `${label} (${k + 1}/3)`, spec, expectValues));
  return runs.sort((a, b) => a.rate - b.rate)[1]!;
}

/** Writes and reads a small table of its own first, untimed, so the first experiment does not pay for JIT compilation and connection set-up. */
async function warmUp(clients: ClientProcesses, server: ServerProbe, table: string, rows: number): Promise<void> {
  await onePhase(clients, server, '(warm-up writes)', { op: 'write', table, order: 'sequential', n: rows, rows, seed: 0 }, rows);
  await onePhase(clients, server, '(warm-up reads)', { op: 'read', table, order: 'random', n: rows, rows, seed: 4 }, rows);
}

async function onePhase(clients: ClientProcesses, server: ServerProbe, label: string, spec: PhaseSpec, expectValues: number): Promise<Figures> {
  const serverPids = server.pids;
  const syncs0 = server.url === undefined ? undefined : await logSyncs(server.url);
  const server0 = totalCpuMs(serverPids);
  const clients0 = totalCpuMs(clients.pids);
  const r = await clients.run(spec);
  const serverUs = ((totalCpuMs(serverPids) - server0) * 1000) / r.values;
  const clientsUs = ((totalCpuMs(clients.pids) - clients0) * 1000) / r.values;
  const syncs1 = server.url === undefined || spec.op !== 'write' ? undefined : await logSyncs(server.url);
  let syncText = '';
  if (syncs0 !== undefined && syncs1 !== undefined) {
    const n = syncs1.count - syncs0.count;
    syncText = `; ${n} log syncs, ${(r.values / n).toFixed(1)} values per sync, ${(((syncs1.seconds - syncs0.seconds) / n) * 1000).toFixed(2)} ms each`;
  }
  if (r.missing > 0) throw new Error(`${label}: ${r.missing} of ${r.values} reads found no ${VALUE_BYTES}-byte value: a row written before was lost`);
  if (r.values !== expectValues) throw new Error(`${label}: ${r.values} values, expected ${expectValues}`);
  const f = figures(r);
  console.log(
    `  ${label.padEnd(24)} ${formatNumber(f.rate).padStart(9)} values/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  (${r.seconds.toFixed(1)} s; CPU per value: server ${serverPids.length === 0 ? '?' : serverUs.toFixed(0)} µs, clients ${clientsUs.toFixed(0)} µs${syncText})`,
  );
  return f;
}

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2), FLAGS);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:paper --', FLAGS));
    return;
  }
  const quick = flagBoolean(flags, 'quick');
  const rows = flagInteger(flags, 'values') ?? (quick ? 4_000 : 40_000);
  const memRows = Math.max(100, Math.floor(rows / 10));
  const warmRows = Math.min(2_000, Math.max(1_000, memRows));
  const processes = flagInteger(flags, 'clients') ?? 2;
  const concurrency = flagInteger(flags, 'concurrency') ?? 8;
  const withRedis = !flagBoolean(flags, 'no-redis');
  const coalesceCalls = !flagBoolean(flags, 'no-coalesce');
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  console.log(formatMachine(machine));
  console.log(`load average at the start: ${load()}`);
  console.log(
    `R = ${formatNumber(rows)} rows of ${VALUE_BYTES} B (mem table ${formatNumber(memRows)}), ${processes} client processes × ${concurrency} in flight, one durable value per write, one row per read${coalesceCalls ? '' : ', SDK calls not coalesced'}`,
  );

  const temp = await makeTempDir('kdi-bench-paper');
  let cluster: StandaloneCluster | undefined;
  let redis: RedisServer | undefined;
  let kdi: KdiClient | undefined;
  let clients: ClientProcesses | undefined;
  try {
    let master = flagString(flags, 'master');
    if (master === undefined) {
      console.log('starting a standalone cluster (1 tablet server) …');
      cluster = await startStandalone({ dataDir: join(temp.path, 'kdi'), servers: 1 });
      master = cluster.masterUrl;
    }
    // The tablet server's CPU per value is printed when we started it (its PID is known).
    const tsPids = [...(cluster?.pids.entries() ?? [])].filter(([name]) => name.startsWith('tablet server')).map(([, pid]) => pid);
    const tsUrl = [...(cluster?.servers.entries() ?? [])].find(([name]) => name.startsWith('tablet server'))?.[1];
    kdi = await connect({ master });
    const stamp = Date.now();
    const table = `bench_paper_${stamp}`;
    const memTable = `bench_paper_mem_${stamp}`;
    await kdi.admin.createTable(table);
    await kdi.admin.createTable(memTable, { schema: { groups: [{ name: 'mem', families: '*', inMemory: true }] } });
    const warmTable = `bench_paper_warm_${stamp}`;
    await kdi.admin.createTable(warmTable);

    const ours = new Map<ExperimentName, Figures>();
    clients = await ClientProcesses.start({ kind: 'kdi', master, coalesceCalls }, processes, concurrency, VALUE_BYTES);
    let serverProbe: ServerProbe = { pids: tsPids, url: tsUrl };
    console.log('KDI, one tablet server:');
    await warmUp(clients, serverProbe, warmTable, warmRows);
    ours.set('sequential-writes', await phase(clients, serverProbe, 'sequential writes', { op: 'write', table, order: 'sequential', n: rows, rows, seed: 0 }, rows));
    ours.set('random-writes', await phase(clients, serverProbe, 'random writes', { op: 'write', table, order: 'random', n: rows, rows, seed: 1 }, rows));
    ours.set('sequential-reads', await phase(clients, serverProbe, 'sequential reads', { op: 'read', table, order: 'sequential', n: rows, rows, seed: 0 }, rows));
    ours.set('random-reads', await phase(clients, serverProbe, 'random reads', { op: 'read', table, order: 'random', n: rows, rows, seed: 2 }, rows));
    await phase(clients, serverProbe, '(loading the mem table)', { op: 'write', table: memTable, order: 'sequential', n: memRows, rows: memRows, seed: 0 }, memRows);
    ours.set('random-reads-mem', await phase(clients, serverProbe, 'random reads (mem)', { op: 'read', table: memTable, order: 'random', n: rows, rows: memRows, seed: 3 }, rows));
    ours.set('scans', await phase(clients, serverProbe, 'scans', { op: 'scan', table, order: 'sequential', n: rows, rows, seed: 0 }, rows));
    await clients.close();
    clients = undefined;

    const peer = new Map<'sequential-writes' | 'random-writes' | 'random-reads', Figures>();
    if (withRedis) {
      redis = await startRedis(join(temp.path, 'redis'));
      console.log(`Redis (redis-server PID ${redis.pid}, appendfsync always), through ioredis:`);
      clients = await ClientProcesses.start({ kind: 'redis', port: redis.port }, processes, concurrency, VALUE_BYTES);
      serverProbe = { pids: [redis.pid] };
      const prefix = 'paper';
      await warmUp(clients, serverProbe, 'warm', warmRows);
      peer.set('sequential-writes', await phase(clients, serverProbe, 'sequential writes', { op: 'write', table: prefix, order: 'sequential', n: rows, rows, seed: 0 }, rows));
      peer.set('random-writes', await phase(clients, serverProbe, 'random writes', { op: 'write', table: prefix, order: 'random', n: rows, rows, seed: 1 }, rows));
      peer.set('random-reads', await phase(clients, serverProbe, 'random reads', { op: 'read', table: prefix, order: 'random', n: rows, rows, seed: 2 }, rows));
      await clients.close();
      clients = undefined;
    }
    console.log(`load average at the end: ${load()}`);

    const ms = (x: number) => x.toFixed(2);
    const results: BenchResult[] = [];
    const tableRows: string[][] = [];
    for (const e of EXPERIMENTS) {
      const f = ours.get(e.name)!;
      const r = peer.get(e.name as 'random-writes');
      results.push(comparedResult(e.name, 'values/s', f.rate, PAPER_PEER, e.paper));
      results.push({ name: `${e.name}-p50-ms`, value: Math.round(f.p50 * 100) / 100, unit: 'ms' });
      results.push({ name: `${e.name}-p99-ms`, value: Math.round(f.p99 * 100) / 100, unit: 'ms' });
      if (r !== undefined) {
        results.push({ name: `redis-${e.name}`, value: Math.round(r.rate), unit: 'values/s' });
        results.push({ name: `redis-${e.name}-p50-ms`, value: Math.round(r.p50 * 100) / 100, unit: 'ms' });
        results.push({ name: `redis-${e.name}-p99-ms`, value: Math.round(r.p99 * 100) / 100, unit: 'ms' });
        results.push(comparedResult(`${e.name}-vs-redis`, 'values/s', f.rate, REDIS_PEER, r.rate));
      }
      tableRows.push([
        e.title,
        formatNumber(f.rate),
        formatNumber(e.paper),
        formatRatio(f.rate / e.paper),
        ms(f.p50),
        ms(f.p99),
        `${formatNumber(e.target)} (${formatRatio(f.rate / e.target)})`,
        r === undefined ? '' : formatNumber(r.rate),
        r === undefined ? '' : `${ms(r.p50)} / ${ms(r.p99)}`,
        r === undefined ? '' : formatRatio(f.rate / r.rate),
      ]);
    }
    console.log('');
    console.log(
      formatTable(
        [
          { title: 'experiment', align: 'left' },
          { title: 'values/s', align: 'right' },
          { title: 'paper, 1 server', align: 'right' },
          { title: 'ratio', align: 'right' },
          { title: 'p50 ms', align: 'right' },
          { title: 'p99 ms', align: 'right' },
          { title: 'issue 12 target', align: 'right' },
          { title: 'Redis values/s', align: 'right' },
          { title: 'Redis p50/p99 ms', align: 'right' },
          { title: 'KDI ÷ Redis', align: 'right' },
        ],
        tableRows,
      ),
    );
    if (cluster === undefined) {
      // A running cluster keeps nothing of ours: drop the bench's tables (their files go after the GC grace period).
      for (const t of [table, memTable, warmTable]) await kdi.admin.dropTable(t);
    }
    const path = flagOutPath(flags);
    if (path) {
      await writeReport(path, { bench: 'paper', machine, startedAt, results });
      console.log(`wrote ${path}`);
    }
  } finally {
    await clients?.close();
    await kdi?.close();
    await redis?.stop();
    await cluster?.stop();
    await temp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
