// `npm run bench:migration` (issue 10; DESIGN §10, §17): one tablet of at
// least 256 MiB (32 MiB with --quick) moved from one tablet server to
// another through the master (`POST /v1/tablets/{id}/move`) while SDK
// clients write to it and read from it. Prints the longest write stall and
// the longest read stall (the longest single request that overlapped the
// move), p50/p99 latency before, during and in the 10 s after the move, the
// total move time and the copy MB/s; then checks that every acknowledged
// write reads back. `--out FILE` writes the JSON report with a result named
// `longest-write-stall` (ms).
//
// The cluster is the standalone launcher on free ports (two tablet servers,
// split threshold raised so the tablet stays whole), or a running one with
// `--master URL`.

import { randomBytes } from 'node:crypto';
import { connect, type KdiClient } from '@kdi/client-sdk';
import { COMMON_FLAGS, flagBoolean, flagInteger, flagOutPath, flagString, parseArgs, usage, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { type BenchResult, writeReport } from '../common/report.js';
import { startStandalone, type StandaloneCluster } from '../common/standalone.js';
import { formatNumber, formatTable } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { LatencyLog, type WindowFigures } from './latency-log.js';

const FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  { name: 'mib', kind: 'integer', help: 'size of the tablet moved, MiB (default 256; 32 with --quick)' },
  { name: 'writers', kind: 'integer', help: 'concurrent SDK writers, one durable cell per request (default 4)' },
  { name: 'readers', kind: 'integer', help: 'concurrent SDK readers, one row per request (default 4)' },
  { name: 'master', kind: 'string', help: 'use the running cluster at this master URL instead of starting one' },
];

const VALUE_BYTES = 1000;
const SETTLE_MS = 10_000;
const MOVE_TIMEOUT_MS = 30 * 60_000;
const TABLE_PREFIX = 'bench_migration';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rowName = (i: number) => `row${String(i).padStart(9, '0')}`;

interface MoveOutcome {
  readonly migrationId: string;
  readonly outcome: string;
  readonly totalMs: number;
  readonly bytesCopied: number | undefined;
  readonly copyMs: number | undefined;
  readonly status: unknown;
}

/** What the bench reads of the master's replies (docs/migration.md); every field may be missing. */
interface MigrationView {
  readonly migrationId?: string;
  readonly outcome?: string;
  readonly bytesCopied?: number;
  readonly steps?: readonly { readonly step: string; readonly ms?: number }[];
  /** The source's own measure of the freeze: from it to the moment the waiting writes went on. */
  readonly writeStallMs?: number;
  /** The master's record (MasterMigration): running, committed, aborted or failed, with the source's MigrationStatus as progress. */
  readonly state?: string;
  readonly progress?: MigrationView;
}
interface MasterReply extends MigrationView {
  readonly migration?: MigrationView;
  readonly tablets?: readonly { readonly tabletId?: string }[];
}

async function masterCall(masterUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: MasterReply | undefined }> {
  const res = await fetch(`${masterUrl}${path}`, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as MasterReply) };
}

/** Loads `mib` MiB of 1000-byte incompressible values into the table through the SDK's buffered writer; returns the row count. */
async function load(kdi: KdiClient, table: string, mib: number): Promise<number> {
  const rows = Math.ceil((mib * 2 ** 20) / VALUE_BYTES);
  const writer = kdi.table(table).writer({ maxInFlight: 8 });
  for (let i = 0; i < rows; i++) await writer.set(rowName(i), 'f:v', randomBytes(VALUE_BYTES));
  await writer.close();
  return rows;
}

/** Asks the master to move the tablet and waits for the move's outcome. */
async function move(masterUrl: string, tabletId: string): Promise<MoveOutcome> {
  const started = performance.now();
  const asked = await masterCall(masterUrl, 'POST', `/v1/tablets/${encodeURIComponent(tabletId)}/move`, {});
  if (asked.status !== 202 && asked.status !== 200) throw new Error(`the master refused the move (${asked.status}): ${JSON.stringify(asked.body)}`);
  const migrationId = asked.body?.migration?.migrationId ?? asked.body?.migrationId;
  if (migrationId === undefined) throw new Error(`the master's move reply names no migrationId: ${JSON.stringify(asked.body)}`);
  for (;;) {
    const got = await masterCall(masterUrl, 'GET', `/v1/migrations/${encodeURIComponent(migrationId)}`);
    const record = got.body?.migration ?? got.body;
    // The master's record ends with its state; a bare MigrationStatus with its outcome.
    const m = record?.progress ?? record;
    const outcome = record?.state !== undefined ? (record.state === 'running' ? undefined : record.state) : record?.outcome;
    if (got.status === 200 && outcome !== undefined) {
      const copy = m?.steps?.find((s) => s.step === 'copy');
      return {
        migrationId,
        outcome,
        totalMs: performance.now() - started,
        bytesCopied: m?.bytesCopied,
        copyMs: copy?.ms,
        status: m,
      };
    }
    if (performance.now() - started > MOVE_TIMEOUT_MS) throw new Error(`the move ${migrationId} did not end in ${MOVE_TIMEOUT_MS / 60_000} min: ${JSON.stringify(got.body)}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2), FLAGS);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:migration --', FLAGS));
    return;
  }
  const quick = flagBoolean(flags, 'quick');
  const mib = flagInteger(flags, 'mib') ?? (quick ? 32 : 256);
  const writers = flagInteger(flags, 'writers') ?? 4;
  const readers = flagInteger(flags, 'readers') ?? 4;
  const machine = machineInfo();
  console.log(formatMachine(machine));
  const startedAt = new Date().toISOString();

  const temp = await makeTempDir('kdi-bench-migration');
  let cluster: StandaloneCluster | undefined;
  let kdi: KdiClient | undefined;
  try {
    let masterUrl = flagString(flags, 'master');
    if (masterUrl === undefined) {
      console.log('starting a standalone cluster (2 tablet servers) …');
      cluster = await startStandalone({ dataDir: temp.path, servers: 2, env: { KDI_TS_SPLIT_THRESHOLD_BYTES: String(64 * 2 ** 30) } });
      masterUrl = cluster.masterUrl;
    }
    kdi = await connect({ master: masterUrl });
    const table = `${TABLE_PREFIX}_${Date.now()}`;
    await kdi.admin.createTable(table);
    const t0 = performance.now();
    const rows = await load(kdi, table, mib);
    console.log(`loaded ${formatNumber(rows)} rows × ${VALUE_BYTES} B (${mib} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const described = await masterCall(masterUrl, 'GET', `/v1/tables/${table}`);
    const tablet = described.body?.tablets?.[0];
    if (described.body?.tablets?.length !== 1 || tablet?.tabletId === undefined) throw new Error(`expected one served tablet: ${JSON.stringify(described.body)}`);

    const handle = kdi.table(table);
    const writes = new LatencyLog();
    const reads = new LatencyLog();
    const acked: string[] = [];
    let running = true;
    let next = 0;
    const value = randomBytes(100);
    const clients = [
      ...Array.from({ length: writers }, async () => {
        while (running) {
          const row = `new${String(next++).padStart(9, '0')}`;
          if (await writes.time(() => handle.set(row, 'f:w', value))) acked.push(row);
        }
      }),
      ...Array.from({ length: readers }, async () => {
        while (running) await reads.time(() => handle.get(rowName(Math.floor(Math.random() * rows))));
      }),
    ];
    const settle = quick ? SETTLE_MS / 2 : SETTLE_MS;
    const beforeFrom = performance.now();
    let moveFrom: number, moveTo: number, afterTo: number, moved: MoveOutcome;
    try {
      await sleep(settle);
      moveFrom = performance.now();
      moved = await move(masterUrl, tablet.tabletId);
      moveTo = performance.now();
      await sleep(settle);
      afterTo = performance.now();
    } finally {
      running = false; // the clients stop also when the move failed
      await Promise.all(clients);
    }

    // Every acknowledged write reads back.
    let lost = 0;
    for (const row of acked) if ((await handle.get(row)).length === 0) lost++;

    const phases: [string, WindowFigures, WindowFigures][] = [
      ['before', writes.window(beforeFrom, moveFrom), reads.window(beforeFrom, moveFrom)],
      ['during', writes.window(moveFrom, moveTo), reads.window(moveFrom, moveTo)],
      [`${settle / 1000} s after`, writes.window(moveTo, afterTo), reads.window(moveTo, afterTo)],
    ];
    const ms = (x: number) => x.toFixed(1);
    console.log('');
    console.log(
      formatTable(
        [
          { title: 'phase', align: 'left' },
          { title: 'writes', align: 'right' },
          { title: 'failed', align: 'right' },
          { title: 'write p50 ms', align: 'right' },
          { title: 'write p99 ms', align: 'right' },
          { title: 'reads', align: 'right' },
          { title: 'failed', align: 'right' },
          { title: 'read p50 ms', align: 'right' },
          { title: 'read p99 ms', align: 'right' },
        ],
        phases.map(([name, w, r]) => [
          name,
          formatNumber(w.requests),
          String(w.failed),
          ms(w.p50Ms),
          ms(w.p99Ms),
          formatNumber(r.requests),
          String(r.failed),
          ms(r.p50Ms),
          ms(r.p99Ms),
        ]),
      ),
    );
    const during = phases[1]!;
    const copyMBs = moved.bytesCopied !== undefined && moved.copyMs !== undefined && moved.copyMs > 0 ? moved.bytesCopied / 1e6 / (moved.copyMs / 1000) : undefined;
    console.log('');
    console.log(`move ${moved.migrationId}: ${moved.outcome} in ${(moved.totalMs / 1000).toFixed(2)} s`);
    const progress = moved.status as MigrationView | undefined;
    if (progress?.steps !== undefined) console.log(`steps (as the source reports them): ${progress.steps.map((s) => `${s.step} ${ms(s.ms ?? 0)} ms`).join(', ')}`);
    if (progress?.writeStallMs !== undefined) console.log(`source's freeze-to-release time ${ms(progress.writeStallMs)} ms`);
    console.log(`longest write stall ${ms(during[1].longestRequestMs)} ms (no write finished for ${ms(during[1].longestGapMs)} ms at most)`);
    console.log(`longest read stall ${ms(during[2].longestRequestMs)} ms (no read finished for ${ms(during[2].longestGapMs)} ms at most)`);
    console.log(`copy ${copyMBs === undefined ? 'n/a (the migration status gave no copy bytes or time)' : `${copyMBs.toFixed(1)} MB/s`}`);
    console.log(`acknowledged writes ${formatNumber(acked.length)}, lost ${lost}`);
    if (moved.outcome !== 'committed') console.log(`the move did not commit: ${JSON.stringify(moved.status)}`);

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
        { name: 'move-time', value: moved.totalMs, unit: 'ms' },
        ...(copyMBs === undefined ? [] : [{ name: 'copy-throughput', value: copyMBs, unit: 'MB/s' as const }]),
      ];
      await writeReport(out, { bench: 'migration', machine, startedAt, results });
      console.log(`wrote ${out}`);
    }
    if (lost > 0 || moved.outcome !== 'committed') process.exitCode = 1;
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
