// Data-driven cases for the merged-scan rules (testdata/merged-scan.txt):
// newest fragment wins on equal keys, erasures, the purge policy, the time
// filter and history = ±K, paging with resume. See datadriven.ts for the
// file format and KDI_DATADRIVEN_REWRITE.
//
//   define                      input: fragments, NEWEST FIRST, each opened by a
//                               line `mem` or `disk`, then cells, one a line:
//                               `row column @ts = value` or `row column @ts erase`
//                               (disk fragments are written with tiny blocks, so
//                               block skipping by time is exercised)
//   scan [history=K] [time=LO..HI] [rows=A..B] [columns=A..B]
//        [maxHistory=N] [maxAge=M] [combine=and|or] [now=T] [page=N] [tablet=A..B]
//                               prints the cells, `(no cells)` when none; with
//                               page=N, pages of N cells joined by `-- resume`
//                               (each page a new scan resumed after the last cell);
//                               tablet=A..B scans a tablet covering rows (A, B]
import { fileURLToPath } from 'node:url';
import type { Cell, Interval } from '@kdi/primitives';
import { compileScanSpec, MemoryFragment, MergedScan, type PurgePolicy, purgeTest, type ScanSource } from '../src/index.js';
import { FragmentReader, FragmentWriter } from '../src/fragment/index.js';
import { MemoryFileSystem } from '../src/fs/index.js';
import type { ScanSpec } from '../src/scan/scan-spec.js';
import { arg, argValue, dataDriven, type TestCase } from '@kdi/primitives/test-support';

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (u: Uint8Array): string => Buffer.from(u).toString('utf8');

function parseCell(line: string, c: TestCase): Cell {
  const m = /^(\S+)\s+(\S+)\s+@(-?\d+)\s+(?:=\s?(.*)|(erase))$/.exec(line.trim());
  if (!m) throw new Error(`${c.file}:${c.line}: "${line}" is not "row column @ts = value" nor "row column @ts erase"`);
  return { row: enc(m[1]!), column: enc(m[2]!), timestamp: Number(m[3]), value: m[5] ? null : enc(m[4] ?? '') };
}

export function showCell(x: Cell): string {
  return `${text(x.row)} ${text(x.column)} @${x.timestamp} ${x.value === null ? 'erase' : `= ${text(x.value)}`}`;
}

function range<T>(spec: string, parse: (s: string) => T): Interval<T> {
  const [lo, hi] = spec.split('..');
  if (hi === undefined) return { lower: { value: parse(lo!), inclusive: true }, upper: { value: parse(lo!), inclusive: true } };
  return { ...(lo !== '' && { lower: { value: parse(lo!), inclusive: true } }), ...(hi !== '' && { upper: { value: parse(hi), inclusive: true } }) };
}

function handler(): (c: TestCase) => Promise<string> {
  let sources: ScanSource[] = [];
  let files = 0;
  const fs = new MemoryFileSystem();

  async function define(c: TestCase): Promise<string> {
    const groups: { kind: 'mem' | 'disk'; cells: Cell[] }[] = [];
    for (const line of c.input.split('\n')) {
      if (line.trim() === 'mem' || line.trim() === 'disk') groups.push({ kind: line.trim() as 'mem' | 'disk', cells: [] });
      else if (groups.length === 0) throw new Error(`${c.file}:${c.line}: open a fragment with a "mem" or "disk" line first`);
      else groups[groups.length - 1]!.cells.push(parseCell(line, c));
    }
    sources = [];
    const out: string[] = [];
    for (const g of groups) {
      const mem = new MemoryFragment(++files);
      for (const cell of g.cells) mem.insert(cell); // sorts, and a repeated key replaces the earlier one
      if (g.kind === 'mem') {
        sources.push({ memory: mem });
      } else {
        const path = `/f${files}.frag`;
        const w = await FragmentWriter.create(fs, path, { blockSize: 24 });
        for (const cell of mem.cells()) w.add(cell);
        await w.finish();
        const reader = await FragmentReader.open(fs, path);
        sources.push({ disk: reader });
      }
      out.push(`${g.kind}: cells=${mem.cellCount}`);
    }
    return out.join('\n');
  }

  async function scan(c: TestCase): Promise<string> {
    const spec: { -readonly [K in keyof ScanSpec]: ScanSpec[K] } = {};
    if (arg(c, 'history')) spec.history = Number(argValue(c, 'history'));
    if (arg(c, 'time')) spec.times = [range(argValue(c, 'time'), Number)];
    if (arg(c, 'rows')) spec.rows = [range(argValue(c, 'rows'), enc)];
    if (arg(c, 'columns')) spec.columns = [range(argValue(c, 'columns'), enc)];
    const policy: { -readonly [K in keyof PurgePolicy]: PurgePolicy[K] } = {};
    if (arg(c, 'maxHistory')) policy.maxHistory = Number(argValue(c, 'maxHistory'));
    if (arg(c, 'maxAge')) policy.maxAgeMicros = Number(argValue(c, 'maxAge'));
    if (arg(c, 'combine')) policy.combine = argValue(c, 'combine') as 'and' | 'or';
    const purge = purgeTest(policy, Number(argValue(c, 'now', '0')));
    const compiled = compileScanSpec(spec);
    const page = Number(argValue(c, 'page', '1000000'));
    // tablet=A..B: the tablet's rows (A, B], either side open when empty.
    const [lo, hi] = argValue(c, 'tablet', '..').split('..');
    const tablet = { ...(lo && { lowerExclusive: enc(lo) }), ...(hi && { upperInclusive: enc(hi) }) };
    const pages: string[][] = [];
    let after: Cell | undefined;
    for (;;) {
      const s = await MergedScan.open({ sources, range: tablet, spec: compiled, purge, after });
      const { cells, end } = await s.nextBatch(page, Number.MAX_SAFE_INTEGER);
      if (cells.length > 0) pages.push(cells.map(showCell));
      if (end || cells.length === 0) break;
      after = cells[cells.length - 1];
    }
    if (pages.length === 0) return '(no cells)';
    return pages.map((p) => p.join('\n')).join('\n-- resume\n');
  }

  return async (c) => {
    switch (c.command) {
      case 'define':
        return define(c);
      case 'scan':
        return scan(c);
      default:
        throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
    }
  };
}

dataDriven(fileURLToPath(new URL('./testdata/merged-scan.txt', import.meta.url)), handler);
