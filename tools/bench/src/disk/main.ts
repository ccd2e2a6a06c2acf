// `npm run bench:disk` (issue 11; DESIGN §11, §17): one tablet of at least
// 256 MiB (`--mib N` for another size; 32 with --quick) moved between the
// two data directories (disks) of one tablet server
// (`POST /v1/admin/disk-migrations`) while SDK clients write to it and read
// from it. Prints the longest write stall and the longest read stall (the
// longest single request that overlapped the migration), p50/p99 latency
// before, during and after, the longest write in each state, the copy MB/s
// (bytes copied ÷ the time from the start to the swap), the move time, the
// lost writes (every acknowledged write is read back; must be 0) and the
// machine. `--out FILE` writes the JSON report with a result named
// `longest-write-stall` (ms).
//
// The cluster is the standalone launcher (one tablet server with its two
// data directories, split threshold raised so the tablet stays whole) on
// free ports. Both directories are on the same filesystem there: the copy
// reads and writes one device.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { connect, type KdiClient } from '@kdi/client-sdk';
import type { DiskMigrationStatusView } from '@kdi/protocol';
import { COMMON_FLAGS, flagBoolean, flagInteger, flagOutPath, parseArgs, usage, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { type BenchResult, writeReport } from '../common/report.js';
import { startStandalone, type StandaloneCluster } from '../common/standalone.js';
import { formatCount as count, formatTable } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { LatencyLog, type PhaseFigures, phaseTable } from '../migration/latency-log.js';

const FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  { name: 'mib', kind: 'integer', help: 'size of the tablet moved, MiB (default 256; 32 with --quick)' },
  { name: 'writers', kind: 'integer', help: 'concurrent SDK writers, one durable cell per request (default 4)' },
  { name: 'readers', kind: 'integer', help: 'concurrent SDK readers, one row per request (default 4)' },
];

const VALUE_BYTES = 1000;
const SETTLE_MS = 10_000;
const MOVE_TIMEOUT_MS = 30 * 60_000;
const STATES = ['MOVING', 'MOVED', 'CLOSED'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rowName = (i: number) => `row${String(i).padStart(9, '0')}`;

type DiskMigrationStatus = DiskMigrationStatusView;

/** The tablet server's admin API (cluster secret). */
class ServerAdmin {
  constructor(
    readonly url: string,
    private readonly secret: string,
  ) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.secret}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async ok<T>(method: 'GET' | 'POST', path: string, body?: unknown, want = 200): Promise<T> {
    const r = await this.call<T>(method, path, body);
    if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** Loads `mib` MiB of 1000-byte incompressible values through the SDK's buffered writer; returns the row count. */
async function load(kdi: KdiClient, table: string, mib: number): Promise<number> {
  const rows = Math.ceil((mib * 2 ** 20) / VALUE_BYTES);
  const writer = kdi.table(table).writer({ maxInFlight: 8 });
  for (let i = 0; i < rows; i++) await writer.set(rowName(i), 'f:v', randomBytes(VALUE_BYTES));
  await writer.close();
  return rows;
}

/** The tablet server's Prometheus metrics, sample "name{labels}" → value (empty when they cannot be read). */
async function scrape(url: string, secret: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    if (res.status !== 200) return out;
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m !== null) out.set(m[1]!, Number(m[2]));
    }
  } catch {
    // no metrics: the figures are left out
  }
  return out;
}

/**
 * What the tablet server's process did between two scrapes: the longest
 * event-loop lag (prom-client resets it at every scrape), the time spent
 * in garbage collection and the collections longer than 10 ms.
 */
function processFigures(before: Map<string, number>, after: Map<string, number>): string | undefined {
  const lag = after.get('nodejs_eventloop_lag_max_seconds');
  if (lag === undefined) return undefined;
  const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const kinds = ['minor', 'major', 'incremental', 'weakcb'];
  const gcMs = kinds.reduce((sum, k) => sum + delta(`nodejs_gc_duration_seconds_sum{kind="${k}"}`), 0) * 1000;
  const over10 = kinds.reduce((sum, k) => sum + delta(`nodejs_gc_duration_seconds_count{kind="${k}"}`) - delta(`nodejs_gc_duration_seconds_bucket{le="0.01",kind="${k}"}`), 0);
  const over100 = kinds.reduce((sum, k) => sum + delta(`nodejs_gc_duration_seconds_count{kind="${k}"}`) - delta(`nodejs_gc_duration_seconds_bucket{le="0.1",kind="${k}"}`), 0);
  return `event-loop lag at most ${(lag * 1000).toFixed(1)} ms; GC ${gcMs.toFixed(1)} ms in all, ${over10} collections over 10 ms (${over100} over 100 ms)`;
}

/** State → [first seen, last seen] (performance.now()). */
type StateTimes = Map<string, { fromMs: number; toMs: number }>;

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2), FLAGS);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:disk --', FLAGS));
    return;
  }
  const quick = flagBoolean(flags, 'quick');
  const mib = flagInteger(flags, 'mib') ?? (quick ? 32 : 256);
  const writers = flagInteger(flags, 'writers') ?? 4;
  const readers = flagInteger(flags, 'readers') ?? 4;
  const machine = machineInfo();
  console.log(formatMachine(machine));
  const loadAtStart = loadavg().map((x) => x.toFixed(2));
  console.log(`load average at start: ${loadAtStart.join(', ')}`);
  const startedAt = new Date().toISOString();

  const temp = await makeTempDir('kdi-bench-disk');
  let cluster: StandaloneCluster | undefined;
  let kdi: KdiClient | undefined;
  try {
    console.log('starting a standalone cluster (1 tablet server, 2 data directories) …');
    cluster = await startStandalone({ dataDir: temp.path, servers: 1, env: { KDI_TS_SPLIT_THRESHOLD_BYTES: String(64 * 2 ** 30) } });
    const tsUrl = [...cluster.servers].find(([name]) => name.startsWith('tablet server'))?.[1];
    if (tsUrl === undefined) throw new Error(`the standalone cluster printed no tablet server: ${JSON.stringify([...cluster.servers])}`);
    const { clusterSecret } = JSON.parse(await readFile(join(temp.path, 'secrets.json'), 'utf8')) as { clusterSecret: string };
    const ts = new ServerAdmin(tsUrl, clusterSecret);
    kdi = await connect({ master: cluster.masterUrl });
    const table = `bench_disk_${Date.now()}`;
    await kdi.admin.createTable(table);
    const t0 = performance.now();
    const rows = await load(kdi, table, mib);
    console.log(`loaded ${count(rows)} rows × ${VALUE_BYTES} B (${mib} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const described = await kdi.admin.describeTable(table);
    const tablet = described.tablets[0]?.tabletId;
    if (described.tablets.length !== 1 || tablet === undefined) throw new Error(`expected one served tablet: ${JSON.stringify(described)}`);
    // Everything on disk before the move: the copy moves the whole tablet.
    await ts.ok('POST', '/v1/admin/serialize', {});
    const replica = await ts.ok<{ disks: { disk: string; tablets: { tablet: string; bytes: number }[] }[] }>('GET', '/v1/admin/disks/tablets');
    const onDisk = replica.disks.map((d) => ({ disk: d.disk, bytes: d.tablets.find((t) => t.tablet === tablet)?.bytes ?? 0 }));
    const from = [...onDisk].sort((a, b) => b.bytes - a.bytes)[0]!;
    const to = onDisk.find((d) => d.disk !== from.disk);
    if (to === undefined) throw new Error(`the tablet server has one disk only: ${JSON.stringify(replica)}`);
    console.log(`tablet ${tablet}: ${(from.bytes / 2 ** 20).toFixed(1)} MiB on ${from.disk}; moving it to ${to.disk}`);

    const handle = kdi.table(table);
    const writes = new LatencyLog();
    const reads = new LatencyLog();
    const acked: string[] = [];
    /** Each write's span, to say when the longest one during the move happened. */
    const writeSpans: { startMs: number; endMs: number }[] = [];
    let running = true;
    let next = 0;
    const value = randomBytes(100);
    const clients = [
      ...Array.from({ length: writers }, async () => {
        while (running) {
          const row = `new${String(next++).padStart(9, '0')}`;
          const startMs = performance.now();
          if (await writes.time(() => handle.set(row, 'f:w', value))) acked.push(row);
          writeSpans.push({ startMs, endMs: performance.now() });
        }
      }),
      ...Array.from({ length: readers }, async () => {
        while (running) await reads.time(() => handle.get(rowName(Math.floor(Math.random() * rows))));
      }),
    ];
    const settle = quick ? SETTLE_MS / 2 : SETTLE_MS;
    const states: StateTimes = new Map();
    const beforeFrom = performance.now();
    let moveFrom: number, moveTo: number, afterTo: number, final: DiskMigrationStatus;
    let metricsBefore = new Map<string, number>();
    let metricsAfter = new Map<string, number>();
    try {
      await sleep(settle);
      metricsBefore = await scrape(tsUrl, clusterSecret);
      moveFrom = performance.now();
      await ts.ok('POST', '/v1/admin/disk-migrations', { tablet, from: from.disk, to: to.disk }, 202);
      for (;;) {
        const m = await ts.ok<DiskMigrationStatus>('GET', `/v1/admin/disk-migrations/${tablet}`);
        const now = performance.now();
        const seen = states.get(m.state);
        if (seen === undefined) states.set(m.state, { fromMs: now, toMs: now });
        else seen.toMs = now;
        if (m.endedAtMs !== undefined) {
          final = m;
          break;
        }
        if (now - moveFrom > MOVE_TIMEOUT_MS) throw new Error(`the disk migration did not end in ${MOVE_TIMEOUT_MS / 60_000} min: ${JSON.stringify(m)}`);
        await sleep(20);
      }
      moveTo = performance.now();
      metricsAfter = await scrape(tsUrl, clusterSecret);
      await sleep(settle);
      afterTo = performance.now();
    } finally {
      running = false;
      await Promise.all(clients);
    }

    let lost = 0;
    for (const row of acked) if ((await handle.get(row)).length === 0) lost++;

    const ms = (x: number) => x.toFixed(1);
    const phases: PhaseFigures[] = [
      ['before', writes.window(beforeFrom, moveFrom), reads.window(beforeFrom, moveFrom)],
      ['during', writes.window(moveFrom, moveTo), reads.window(moveFrom, moveTo)],
      [`${settle / 1000} s after`, writes.window(moveTo, afterTo), reads.window(moveTo, afterTo)],
    ];
    console.log('');
    console.log(phaseTable(phases, { longest: true }));
    // Per state, as the status polls saw it (a state shorter than a poll may be missed).
    const perState = STATES.flatMap((s) => {
      const t = states.get(s);
      if (t === undefined) return [];
      const w = writes.window(t.fromMs, t.toMs);
      const r = reads.window(t.fromMs, t.toMs);
      return [{ state: s, ms: t.toMs - t.fromMs, w, r }];
    });
    console.log('');
    console.log(
      formatTable(
        [
          { title: 'state (as polled)', align: 'left' },
          { title: 'seen for ms', align: 'right' },
          { title: 'writes', align: 'right' },
          { title: 'longest write ms', align: 'right' },
          { title: 'reads', align: 'right' },
          { title: 'longest read ms', align: 'right' },
        ],
        perState.map((p) => [p.state, ms(p.ms), count(p.w.requests), ms(p.w.longestRequestMs), count(p.r.requests), ms(p.r.longestRequestMs)]),
      ),
    );

    // When the longest write overlapping the move began and ended, and in which state (as polled).
    const stateAt = (at: number) => {
      let found = at < moveFrom ? 'before the move' : at > moveTo ? 'after the move' : 'MOVING';
      for (const [st, t] of states) if (at >= t.fromMs) found = at <= moveTo ? st : found;
      return found;
    };
    const worst = writeSpans.filter((w) => w.startMs < moveTo && w.endMs > moveFrom).sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs))[0];
    const worstAt =
      worst === undefined
        ? 'none'
        : `${ms(worst.endMs - worst.startMs)} ms, began ${ms(worst.startMs - moveFrom)} ms after the request (${stateAt(worst.startMs)}), ended at ${ms(worst.endMs - moveFrom)} ms (${stateAt(worst.endMs)})`;
    const moveMs = final.endedAtMs !== undefined ? final.endedAtMs - final.startedAtMs : moveTo - moveFrom;
    // Copying runs in MOVING and in MOVED's final pass; the swap (CLOSED) follows. The first poll that saw CLOSED (or the end) bounds it.
    const swapSeenAt = states.get('CLOSED')?.fromMs ?? states.get('COMPLETED')?.fromMs ?? moveTo;
    const copyMs = swapSeenAt - moveFrom;
    const copyMBs = copyMs > 0 ? final.bytesCopied / 1e6 / (copyMs / 1000) : undefined;
    const during = phases[1]!;
    const summary: [string, string][] = [
      ['outcome', `${final.state}${final.error ? ` (${final.error})` : ''}`],
      ['tablet moved', `${(from.bytes / 2 ** 20).toFixed(1)} MiB; copied ${final.filesCopied}/${final.files} files, ${(final.bytesCopied / 2 ** 20).toFixed(1)} MiB`],
      ['longest write stall', `${ms(during[1].longestRequestMs)} ms (no write finished for ${ms(during[1].longestGapMs)} ms at most)`],
      ['longest write, when', worstAt],
      ['server process during the move', processFigures(metricsBefore, metricsAfter) ?? 'n/a (no /metrics)'],
      ['longest read stall', `${ms(during[2].longestRequestMs)} ms (no read finished for ${ms(during[2].longestGapMs)} ms at most)`],
      ['copy', copyMBs === undefined ? 'n/a' : `${copyMBs.toFixed(1)} MB/s (${ms(copyMs)} ms from the start to the swap)`],
      ['move time', `${ms(moveMs)} ms (the status's start to end)`],
      ['acknowledged writes', `${count(acked.length)} (${count(during[1].requests)} during the move)`],
      ['lost writes', String(lost)],
      ['machine', formatMachine(machine).replace(/^machine: /, '')],
      [
        'load average',
        `${loadAtStart.join(', ')} at start; ${loadavg()
          .map((x) => x.toFixed(2))
          .join(', ')} at the end`,
      ],
    ];
    console.log('');
    console.log(
      formatTable(
        [
          { title: 'figure', align: 'left' },
          { title: 'value', align: 'left' },
        ],
        summary,
      ),
    );

    const out = flagOutPath(flags);
    if (out !== undefined) {
      const results: BenchResult[] = [
        { name: 'longest-write-stall', value: during[1].longestRequestMs, unit: 'ms' },
        { name: 'longest-read-stall', value: during[2].longestRequestMs, unit: 'ms' },
        ...phases.flatMap(([name, w, r]) => {
          const tag = name.startsWith('before') ? 'before' : name.startsWith('during') ? 'during' : 'after';
          return [
            { name: `write-p99-${tag}`, value: w.p99Ms, unit: 'ms' as const },
            { name: `read-p99-${tag}`, value: r.p99Ms, unit: 'ms' as const },
          ];
        }),
        ...perState.map((p) => ({ name: `longest-write-in-${p.state}`, value: p.w.longestRequestMs, unit: 'ms' as const })),
        { name: 'move-time', value: moveMs, unit: 'ms' },
        ...(copyMBs === undefined ? [] : [{ name: 'copy-throughput', value: copyMBs, unit: 'MB/s' as const }]),
      ];
      await writeReport(out, { bench: 'disk', machine, startedAt, results });
      console.log(`wrote ${out}`);
    }
    if (lost > 0 || final.state !== 'COMPLETED') process.exitCode = 1;
  } finally {
    await kdi?.close().catch(() => undefined);
    await cluster?.stop();
    await temp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
