// `npm run bench:engine [-- --quick] [-- --out FILE]`: our storage engine
// against LevelDB (classic-level) in one process, on the same data, on the
// real file system (DESIGN §17; docs/benchmarks.md explains the workloads).
import { COMMON_FLAGS, flagBoolean, flagOutPath, flagInteger, parseArgs, usage, UsageError, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { nowSeconds } from '../common/measure.js';
import { permutation, seededRandom } from '../common/random.js';
import { comparedResult, writeReport, type BenchResult } from '../common/report.js';
import { formatNumber, formatRatio, formatTable } from '../common/table.js';
import { makeTempDir } from '../common/temp-dir.js';
import { Dataset, sequentialOrder } from './dataset.js';
import { kdiStoreKind } from './kdi-store.js';
import { levelStoreKind } from './leveldb-store.js';
import type { StoreKind } from './store.js';
import { runPointReads, runScan, runWrites, StoreDirs, type AnyStore } from './workloads.js';

const FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  { name: 'entries', kind: 'integer', help: 'entries written per value size (default: see docs/benchmarks.md)' },
  { name: 'reads', kind: 'integer', help: 'point reads per value size' },
];

const BATCH_ENTRIES = 1000;
const VALUE_SIZES = [100, 1000] as const;
const PEER = 'leveldb';

interface Plan {
  readonly entries: number;
  readonly reads: number;
}

const QUICK_PLAN: Record<(typeof VALUE_SIZES)[number], Plan> = {
  100: { entries: 100_000, reads: 20_000 },
  1000: { entries: 40_000, reads: 20_000 },
};
const FULL_PLAN: Record<(typeof VALUE_SIZES)[number], Plan> = {
  100: { entries: 1_000_000, reads: 100_000 },
  1000: { entries: 200_000, reads: 100_000 },
};

type Outcome = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly error: unknown };

interface Row {
  /** Result name, e.g. "seq-write-100B". */
  readonly name: string;
  /** Operations per run: entries written or scanned, or point reads. */
  readonly ops: number;
  readonly bytesPerOp: number;
  readonly ours: Outcome;
  readonly peer: Outcome;
}

const KINDS: readonly StoreKind[] = [kdiStoreKind, levelStoreKind];

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function outcome(what: string, ops: number, f: () => Promise<number>): Promise<Outcome> {
  try {
    const seconds = await f();
    progress(`  ${what}: ${formatNumber(ops / seconds)} ops/s (${seconds.toFixed(2)} s)`);
    return { ok: true, seconds };
  } catch (error) {
    progress(`  ${what}: FAILED — ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, error };
  }
}

async function benchValueSize(valueSize: number, plan: Plan, dirs: StoreDirs, removeDir: (d: string) => Promise<void>): Promise<Row[]> {
  const dataset = new Dataset(plan.entries, valueSize);
  const n = dataset.entries;
  const sequential = dataset.batches(sequentialOrder(n), BATCH_ENTRIES);
  const random = dataset.batches(permutation(n, seededRandom(valueSize)), BATCH_ENTRIES);
  const reads = dataset.randomIndexes(plan.reads, seededRandom(valueSize + 1));
  const rows: Row[] = [];
  const suffix = `${valueSize}B`;

  const measure = async (workload: string, ops: number, f: (kind: StoreKind) => Promise<number>) => {
    const name = `${workload}-${suffix}`;
    const ours = await outcome(`ours    ${name}`, ops, () => f(kdiStoreKind));
    const peer = await outcome(`leveldb ${name}`, ops, () => f(levelStoreKind));
    rows.push({ name, ops, bytesPerOp: dataset.entryBytes, ours, peer });
  };

  progress(`value ${suffix}: ${formatNumber(n)} entries, ${formatNumber(plan.reads)} point reads`);
  await measure('seq-write', n, async (k) => (await runWrites(k, dirs, sequential, false, false, removeDir)).seconds);
  await measure('seq-write-sync', n, async (k) => (await runWrites(k, dirs, sequential, true, false, removeDir)).seconds);
  await measure('rand-write-sync', n, async (k) => (await runWrites(k, dirs, random, true, false, removeDir)).seconds);

  // The last random-write run's store becomes the read dataset.
  const kept = new Map<StoreKind, { store: AnyStore; dir: string }>();
  try {
    await measure('rand-write', n, async (k) => {
      const r = await runWrites(k, dirs, random, false, true, removeDir);
      if (r.kept) kept.set(k, r.kept);
      return r.seconds;
    });
    const settled = new Map<StoreKind, Promise<AnyStore>>();
    for (const k of KINDS) {
      const s = kept.get(k);
      const p = s ? s.store.settle().then(() => s.store) : Promise.reject(new Error('skipped: no dataset to read because rand-write failed'));
      p.catch(() => undefined); // surfaced by the read workloads
      settled.set(k, p);
    }
    const start = nowSeconds();
    await Promise.allSettled(settled.values());
    progress(`  settled both stores (serialize + full compaction) in ${(nowSeconds() - start).toFixed(1)} s`);
    await measure('point-read', plan.reads, async (k) => runPointReads(await settled.get(k)!, dataset, reads));
    // The same reads against LevelDB's synchronous getSync (ours has one async API).
    await measure('point-read-vs-getsync', plan.reads, async (k) => runPointReads(await settled.get(k)!, dataset, reads, true));
    await measure('scan', n, async (k) => runScan(await settled.get(k)!, dataset));
  } finally {
    for (const { store, dir } of kept.values()) {
      await store.close().catch((e: unknown) => progress(`  closing ${store.name} failed: ${String(e)}`));
      await removeDir(dir);
    }
  }
  return rows;
}

function fmt(o: Outcome, f: (seconds: number) => number): string {
  return o.ok ? formatNumber(f(o.seconds)) : 'FAILED';
}

function printTable(rows: readonly Row[]): void {
  const cols = [
    { title: 'workload', align: 'left' },
    { title: 'ours ops/s', align: 'right' },
    { title: 'leveldb ops/s', align: 'right' },
    { title: 'ours MB/s', align: 'right' },
    { title: 'leveldb MB/s', align: 'right' },
    { title: 'ratio', align: 'right' },
  ] as const;
  const body = rows.map((r) => {
    const opsPerSec = (s: number) => r.ops / s;
    const mbPerSec = (s: number) => (r.ops * r.bytesPerOp) / s / 1e6;
    const ratio = r.ours.ok && r.peer.ok ? formatRatio(r.peer.seconds / r.ours.seconds) : '-';
    return [r.name, fmt(r.ours, opsPerSec), fmt(r.peer, opsPerSec), fmt(r.ours, mbPerSec), fmt(r.peer, mbPerSec), ratio];
  });
  console.log(formatTable(cols, body));
  console.log('ratio = ours / leveldb throughput (higher is better for us); MB = 10^6 bytes of row + column + value');
}

function toResults(rows: readonly Row[]): BenchResult[] {
  const out: BenchResult[] = [];
  for (const r of rows) {
    if (!r.ours.ok || !r.peer.ok) continue;
    const ours = r.ops / r.ours.seconds;
    const peer = r.ops / r.peer.seconds;
    out.push(comparedResult(r.name, 'ops/s', ours, PEER, peer));
    out.push(comparedResult(`${r.name}-bytes`, 'MB/s', (ours * r.bytesPerOp) / 1e6, PEER, (peer * r.bytesPerOp) / 1e6));
  }
  return out;
}

function describeError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && depth < 5; depth++) {
    parts.push(cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
    if (cur !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

async function main(): Promise<number> {
  const flags = parseArgs(process.argv.slice(2), FLAGS);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:engine --', FLAGS));
    return 0;
  }
  const quick = flagBoolean(flags, 'quick');
  const out = flagOutPath(flags);
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  console.log(formatMachine(machine));
  console.log(`engine bench (${quick ? 'quick' : 'default'}), batches of ${BATCH_ENTRIES}, started ${startedAt}`);

  const tmp = await makeTempDir('kdi-bench-engine');
  const dirs = new StoreDirs(tmp.path);
  const removeDir = (d: string) => tmp.removeChild(d.slice(tmp.path.length + 1));
  const rows: Row[] = [];
  const began = nowSeconds();
  try {
    for (const valueSize of VALUE_SIZES) {
      const base = (quick ? QUICK_PLAN : FULL_PLAN)[valueSize];
      const plan: Plan = { entries: flagInteger(flags, 'entries') ?? base.entries, reads: flagInteger(flags, 'reads') ?? base.reads };
      rows.push(...(await benchValueSize(valueSize, plan, dirs, removeDir)));
    }
  } finally {
    await tmp.remove();
  }

  console.log();
  printTable(rows);
  console.log(`total ${(nowSeconds() - began).toFixed(1)} s`);
  if (out) {
    await writeReport(out, { bench: 'engine', machine, startedAt, results: toResults(rows) });
    console.log(`wrote ${out}`);
  }

  const failures = rows.flatMap((r) => [
    ...(r.ours.ok ? [] : [{ what: `ours ${r.name}`, error: r.ours.error }]),
    ...(r.peer.ok ? [] : [{ what: `leveldb ${r.name}`, error: r.peer.error }]),
  ]);
  for (const f of failures) console.error(`\n${f.what} failed:\n${describeError(f.error)}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${usage('npm run bench:engine --', FLAGS)}`);
      process.exitCode = 2;
    } else {
      console.error(describeError(e));
      process.exitCode = 1;
    }
  },
);
