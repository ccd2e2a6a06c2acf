// `npm run bench:migration` (issue 10; DESIGN §10, §17): one tablet of at
// least 256 MiB (32 MiB with --quick) moved from one tablet server to
// another through the master (`POST /v1/tablets/{id}/move`) while SDK
// clients write to it and read from it. Prints the longest write stall and
// the longest read stall (the longest single request that overlapped the
// move), p50/p99 latency before, during and in the 10 s after the move, the
// total move time and the copy MB/s (bytes sent ÷ copy + catch-up); then checks that every acknowledged
// write reads back. `--out FILE` writes the JSON report with a result named
// `longest-write-stall` (ms).
//
// The cluster is the standalone launcher on free ports (two tablet servers,
// split threshold raised so the tablet stays whole), or a running one with
// `--master URL`.

import { randomBytes } from 'node:crypto';
import { connect, type KdiClient } from '@kdi/client-sdk';
import type { MasterMigration } from '@kdi/protocol';
import { COMMON_FLAGS, flagBoolean, flagInteger, flagOutPath, flagString, parseArgs, usage, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { type BenchResult, writeReport } from '../common/report.js';
import { startStandalone, type StandaloneCluster } from '../common/standalone.js';
import { formatNumber } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { LatencyLog, type PhaseFigures, phaseTable } from './latency-log.js';

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
  /** committed, aborted or failed (the master's record's state). */
  readonly outcome: string;
  readonly totalMs: number;
  /** The master's record, with the source's progress (steps, bytes, write stall). */
  readonly record: MasterMigration;
}

/** Loads `mib` MiB of 1000-byte incompressible values into the table through the SDK's buffered writer; returns the row count. */
async function load(kdi: KdiClient, table: string, mib: number): Promise<number> {
  const rows = Math.ceil((mib * 2 ** 20) / VALUE_BYTES);
  const writer = kdi.table(table).writer({ maxInFlight: 8 });
  for (let i = 0; i < rows; i++) await writer.set(rowName(i), 'f:v', randomBytes(VALUE_BYTES));
  await writer.close();
  return rows;
}

/** Asks the master to move the tablet (kdi.admin) and polls its record until the move ends. */
async function move(kdi: KdiClient, tabletId: string): Promise<MoveOutcome> {
  const started = performance.now();
  const { migrationId } = await kdi.admin.moveTablet(tabletId);
  for (;;) {
    const record = await kdi.admin.migration(migrationId);
    if (record.state !== 'running') return { migrationId, outcome: record.state, totalMs: performance.now() - started, record };
    if (performance.now() - started > MOVE_TIMEOUT_MS) throw new Error(`the move ${migrationId} did not end in ${MOVE_TIMEOUT_MS / 60_000} min: ${JSON.stringify(record)}`);
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
    const described = await kdi.admin.describeTable(table);
    const tablet = described.tablets[0];
    if (described.tablets.length !== 1 || tablet?.tabletId === undefined) throw new Error(`expected one served tablet: ${JSON.stringify(described)}`);

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
      moved = await move(kdi, tablet.tabletId);
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

    const phases: PhaseFigures[] = [
      ['before', writes.window(beforeFrom, moveFrom), reads.window(beforeFrom, moveFrom)],
      ['during', writes.window(moveFrom, moveTo), reads.window(moveFrom, moveTo)],
      [`${settle / 1000} s after`, writes.window(moveTo, afterTo), reads.window(moveTo, afterTo)],
    ];
    const ms = (x: number) => x.toFixed(1);
    console.log('');
    console.log(phaseTable(phases, { longest: false }));
    const during = phases[1]!;
    const progress = moved.record.progress;
    // Files go over in copy and in catch-up (what memory held at the copy is serialized and sent then).
    const copyMs = progress?.steps?.filter((s) => s.step === 'copy' || s.step === 'catch-up').reduce((sum, s) => sum + s.ms, 0);
    const copyMBs = progress?.bytesCopied !== undefined && copyMs !== undefined && copyMs > 0 ? progress.bytesCopied / 1e6 / (copyMs / 1000) : undefined;
    console.log('');
    console.log(`move ${moved.migrationId}: ${moved.outcome} in ${(moved.totalMs / 1000).toFixed(2)} s`);
    if (progress?.steps !== undefined) console.log(`steps (as the source reports them): ${progress.steps.map((s) => `${s.step} ${ms(s.ms ?? 0)} ms`).join(', ')}`);
    if (progress?.writeStallMs !== undefined)
      console.log(`source's freeze-to-release time ${ms(progress.writeStallMs)} ms (the window in which writes to the tablet are held by the move)`);
    if (progress?.deltaRounds !== undefined)
      console.log(`delta rounds (cells, KiB, ms): ${progress.deltaRounds.map((d) => `${d.cells} / ${(d.bytes / 1024).toFixed(1)} / ${ms(d.ms)}`).join(', ')}`);
    if (progress?.freezeWaitMs !== undefined)
      console.log(`freeze waited ${ms(progress.freezeWaitMs)} ms for admitted writes; the commit carried ${progress.finalCells ?? '?'} cells`);
    if (progress?.commitParts !== undefined)
      console.log(
        `target's commit, ms since it started: ${Object.entries(progress.commitParts)
          .map(([part, at]) => `${part} ${ms(at)}`)
          .join(', ')}`,
      );
    console.log(`longest write stall ${ms(during[1].longestRequestMs)} ms (no write finished for ${ms(during[1].longestGapMs)} ms at most)`);
    // The source's freeze-to-release window on this process's clock (its record's start, plus the steps before the freeze):
    // the longest write overlapping it is the stall the move itself caused, apart from the copy's load on a busy machine.
    const frozen = freezeWindow(progress);
    const inFreeze = frozen === undefined ? undefined : writes.window(frozen.fromMs, frozen.toMs);
    if (inFreeze !== undefined) console.log(`longest write overlapping the freeze-to-release window ${ms(inFreeze.longestRequestMs)} ms`);
    console.log(`longest read stall ${ms(during[2].longestRequestMs)} ms (no read finished for ${ms(during[2].longestGapMs)} ms at most)`);
    console.log(`copy ${copyMBs === undefined ? 'n/a (the migration status gave no copy bytes or time)' : `${copyMBs.toFixed(1)} MB/s`}`);
    console.log(`acknowledged writes ${formatNumber(acked.length)}, lost ${lost}`);
    if (moved.outcome !== 'committed') console.log(`the move did not commit: ${JSON.stringify(moved.record)}`);

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
        ...(inFreeze === undefined ? [] : [{ name: 'longest-write-in-freeze', value: inFreeze.longestRequestMs, unit: 'ms' as const }]),
        ...(progress?.writeStallMs === undefined ? [] : [{ name: 'freeze-to-release', value: progress.writeStallMs, unit: 'ms' as const }]),
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

/** The source's freeze-to-release window as performance.now() times here, from its status (undefined when it lacks the figures). */
function freezeWindow(progress: MasterMigration['progress']): { fromMs: number; toMs: number } | undefined {
  if (progress?.startedAt === undefined || progress.steps === undefined || progress.writeStallMs === undefined) return undefined;
  const at = progress.steps.findIndex((s) => s.step === 'freeze');
  if (at < 0) return undefined;
  const before = progress.steps.slice(0, at).reduce((sum, s) => sum + s.ms, 0);
  const fromMs = Date.parse(progress.startedAt) + before - performance.timeOrigin;
  return { fromMs, toMs: fromMs + progress.writeStallMs };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
