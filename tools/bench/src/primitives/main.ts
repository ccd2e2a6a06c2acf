// `npm run bench:primitives [-- --quick] [-- --out FILE]`: the codecs the
// primitives library could run, measured before choosing (issue 8):
//   - LZ4 block compress and decompress, MB/s of uncompressed bytes: the
//     pure-TypeScript codec of @kdi/primitives against the native `lz4`
//     binding, on 64 KiB fragment-like data blocks and on wire bodies;
//   - CRC-32C, MB/s: the slice-by-8 TypeScript table against the hardware
//     (SSE4.2 / ARMv8 CRC) one of `@node-rs/crc32`, from a log record header
//     to a 1 MiB body.
// Single-threaded; every figure is the median of 3 timed runs.
import { createRequire } from 'node:module';
import { encodeCellBlock } from '@kdi/protocol';
import { crc32c, lz4CompressBlockInto, lz4CompressBound, lz4DecompressBlock, writeI64, writeVarint, type Cell } from '@kdi/primitives';
import { COMMON_FLAGS, flagBoolean, flagOutPath, parseArgs, usage, UsageError, type FlagSpec } from '../common/args.js';
import { formatMachine, machineInfo } from '../common/machine.js';
import { median, nowSeconds } from '../common/measure.js';
import { seededRandom, type Random } from '../common/random.js';
import { comparedResult, writeReport, type BenchResult } from '../common/report.js';
import { formatNumber, formatRatio, formatTable } from '../common/table.js';

const FLAGS: readonly FlagSpec[] = [...COMMON_FLAGS];
const require = createRequire(import.meta.url);

/** The slice of the native binding storage uses. */
interface Lz4Binding {
  encodeBlock(input: Uint8Array, output: Uint8Array): number;
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
}
interface NativeCrc {
  crc32c(input: Uint8Array, initialState?: number): number;
}

// ---- data ---------------------------------------------------------------------

const WORDS = ['com.example.www', 'org.wikipedia.en', 'net.kdi.docs', 'index.html', 'page', 'article', 'user', 'profile'];
const FAMILIES = ['anchor:', 'contents:', 'meta:lang', 'meta:mime', 'links:'];

function pick<T>(rnd: Random, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** Text-like values with the redundancy of real pages and JSON, plus a few random bytes. */
function valueBytes(rnd: Random, n: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = rnd() < 0.3 ? String(Math.floor(rnd() * 1e6)) : rnd() < 0.5 ? `{"id":${Math.floor(rnd() * 1e4)},"name":"${pick(rnd, WORDS)}"}` : pick(rnd, WORDS);
    parts.push(w, ' ');
    len += w.length + 1;
  }
  const b = Buffer.from(parts.join('')).subarray(0, n);
  for (let i = 0; i < n / 16; i++) b[Math.floor(rnd() * n)] = Math.floor(rnd() * 256);
  return b;
}

/** Sorted cells of a web-table-like workload: reversed-domain rows, a few columns each, 20-400 byte values. */
function cells(rnd: Random, count: number): Cell[] {
  const out: Cell[] = [];
  let row = 0;
  while (out.length < count) {
    row += 1 + Math.floor(rnd() * 3);
    const r = Buffer.from(`${pick(rnd, WORDS)}/${pick(rnd, WORDS)}/${String(row).padStart(8, '0')}`);
    const columns = 1 + Math.floor(rnd() * 4);
    for (let c = 0; c < columns && out.length < count; c++) {
      const column = Buffer.from(`${FAMILIES[c]!}${c === 0 ? '' : pick(rnd, WORDS)}`);
      out.push({ row: r, column, timestamp: 1_700_000_000_000_000 + Math.floor(rnd() * 1e9), value: valueBytes(rnd, 20 + Math.floor(rnd() * 380)) });
    }
  }
  return out;
}

/**
 * A 64 KiB payload laid out like a fragment data block (fragment-format.ts):
 * flags, row and column as length-prefixed bytes (shared rows elided),
 * a zigzag timestamp delta, the value.
 */
function fragmentBlock(rnd: Random, size: number): Buffer {
  const b = Buffer.alloc(size + 4096);
  let p = 0;
  let lastRow: Uint8Array | null = null;
  let lastTs = 0;
  for (const c of cells(rnd, 100_000)) {
    if (p >= size) break;
    const sameRow = lastRow !== null && Buffer.compare(lastRow, c.row) === 0;
    b[p++] = sameRow ? 1 : 0;
    if (!sameRow) {
      p = writeVarint(b, p, c.row.length);
      b.set(c.row, p);
      p += c.row.length;
    }
    p = writeVarint(b, p, c.column.length);
    b.set(c.column, p);
    p += c.column.length;
    const delta = c.timestamp - lastTs;
    if (Math.abs(delta) < 2 ** 40) p = writeVarint(b, p, delta >= 0 ? delta * 2 : -delta * 2 - 1);
    else p = writeI64(b, p, c.timestamp);
    p = writeVarint(b, p, c.value!.length);
    b.set(c.value!, p);
    p += c.value!.length;
    lastRow = c.row;
    lastTs = c.timestamp;
  }
  return b.subarray(0, size);
}

/** An uncompressed binary cell block (application/x-kdi-cells) of about `bytes`. */
function wireBody(rnd: Random, bytes: number): Buffer {
  const all = cells(rnd, Math.ceil(bytes / 150));
  let block = Buffer.from(encodeCellBlock(all));
  while (block.length > bytes && all.length > 1) {
    all.length = Math.floor(all.length * 0.9);
    block = Buffer.from(encodeCellBlock(all));
  }
  return block;
}

// ---- timing -------------------------------------------------------------------

/** Bytes per second of `op` over `bytes`-byte inputs: median of 3 runs of about `seconds` each. */
function throughput(bytes: number, seconds: number, op: () => void): number {
  for (let i = 0; i < 3; i++) op(); // warm-up: let the JIT settle
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const start = nowSeconds();
    let elapsed = 0;
    do {
      for (let i = 0; i < 8; i++) op();
      n += 8;
      elapsed = nowSeconds() - start;
    } while (elapsed < seconds);
    runs.push((n * bytes) / elapsed);
  }
  return median(runs);
}

interface Row {
  readonly name: string;
  readonly ours: number;
  readonly peer: number;
  readonly peerName: string;
  readonly note: string;
}

function lz4Rows(label: string, data: Buffer, native: Lz4Binding, seconds: number): Row[] {
  const bound = lz4CompressBound(data.length);
  const tsOut = Buffer.allocUnsafe(bound);
  const nativeOut = Buffer.allocUnsafe(data.length - 1);
  const tsEnd = lz4CompressBlockInto(data, tsOut, 0);
  const nativeLen = native.encodeBlock(data, nativeOut);
  const tsBlock = Buffer.from(tsOut.subarray(0, tsEnd));
  const nativeBlock = Buffer.from(nativeOut.subarray(0, nativeLen));
  // Each decoder on its own encoder's block; check they agree first.
  const back = Buffer.allocUnsafe(data.length);
  if (native.decodeBlock(tsBlock, back) !== data.length || !back.equals(data)) throw new Error('native lz4 cannot read the TypeScript block');
  if (!Buffer.from(lz4DecompressBlock(nativeBlock, data.length)).equals(data)) throw new Error('TypeScript lz4 cannot read the native block');
  const MB = 1e6;
  const ratio = `ratio ${(data.length / tsEnd).toFixed(2)} (ts) / ${(data.length / nativeLen).toFixed(2)} (native)`;
  return [
    {
      name: `lz4-compress-${label}`,
      ours: throughput(data.length, seconds, () => lz4CompressBlockInto(data, tsOut, 0)) / MB,
      peer: throughput(data.length, seconds, () => native.encodeBlock(data, nativeOut)) / MB,
      peerName: 'lz4 (native)',
      note: ratio,
    },
    {
      name: `lz4-decompress-${label}`,
      ours: throughput(data.length, seconds, () => lz4DecompressBlock(tsBlock, data.length)) / MB,
      peer: throughput(data.length, seconds, () => native.decodeBlock(nativeBlock, Buffer.allocUnsafe(data.length))) / MB,
      peerName: 'lz4 (native)',
      note: '',
    },
  ];
}

function crcRows(sizes: readonly [string, number][], native: NativeCrc | undefined, seconds: number, rnd: Random): Row[] {
  const rows: Row[] = [];
  for (const [label, size] of sizes) {
    const data = valueBytes(rnd, size);
    if (native && native.crc32c(data) !== crc32c(data)) throw new Error('the native CRC-32C disagrees with ours');
    const ours = throughput(size, seconds, () => crc32c(data)) / 1e6;
    const peer = native ? throughput(size, seconds, () => native.crc32c(data)) / 1e6 : Number.NaN;
    rows.push({ name: `crc32c-${label}`, ours, peer, peerName: '@node-rs/crc32', note: '' });
  }
  return rows;
}

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2), FLAGS);
  if (flagBoolean(flags, 'help')) {
    console.log(usage('npm run bench:primitives --', FLAGS));
    return;
  }
  const quick = flagBoolean(flags, 'quick');
  const seconds = quick ? 0.1 : 0.5;
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  console.log(formatMachine(machine));
  console.log(`primitives bench (${quick ? 'quick' : 'default'}), started ${startedAt}`);

  const lz4 = require('lz4') as Lz4Binding;
  let nativeCrc: NativeCrc | undefined;
  try {
    nativeCrc = require('@node-rs/crc32') as NativeCrc;
  } catch (e) {
    console.log(`@node-rs/crc32 did not load (${(e as Error).message.split('\n')[0]}); CRC-32C is measured for TypeScript only`);
  }

  const rnd = seededRandom(8);
  const rows: Row[] = [
    ...lz4Rows('64KiB-fragment-block', fragmentBlock(rnd, 64 * 1024), lz4, seconds),
    ...lz4Rows('4KiB-wire-body', wireBody(rnd, 4 * 1024), lz4, seconds),
    ...lz4Rows('1MiB-wire-body', wireBody(rnd, 1024 * 1024), lz4, seconds),
    ...crcRows(
      [
        ['24B-record-header', 24],
        ['64B', 64],
        ['256B', 256],
        ['1KiB', 1024],
        ['4KiB', 4 * 1024],
        ['64KiB-block', 64 * 1024],
        ['1MiB-body', 1024 * 1024],
      ],
      nativeCrc,
      seconds,
      rnd,
    ),
  ];

  console.log(
    formatTable(
      [
        { title: 'workload', align: 'left' },
        { title: 'TypeScript MB/s', align: 'right' },
        { title: 'native MB/s', align: 'right' },
        { title: 'TS/native', align: 'right' },
        { title: 'note', align: 'left' },
      ],
      rows.map((r) => [r.name, formatNumber(r.ours), formatNumber(r.peer), formatRatio(r.ours / r.peer), r.note]),
    ),
  );

  const out = flagOutPath(flags);
  if (out !== undefined) {
    const results: BenchResult[] = rows.map((r) => comparedResult(r.name, 'MB/s', r.ours, r.peerName, r.peer));
    await writeReport(out, { bench: 'primitives', machine, startedAt, results });
    console.log(`report written to ${out}`);
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`${e.message}\n\n${usage('npm run bench:primitives --', FLAGS)}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
