// Load for the disk tests: SDK writers (each batch its own rows, so an
// acknowledged cell is exactly one value) and SDK scanners paging through
// the table with resume tokens while a disk migration runs. Every
// operation is tagged with the disk-migration state seen when it started
// and when it ended (`state()`, kept current by the test's poller), so a
// test can say which states were served. Scans check themselves: no cell
// twice, in order, none missing that was acknowledged before the scan
// began.

import { connect, type KdiClient } from '@kdi/client-sdk';

export interface Served {
  writes: number;
  scans: number;
}

export interface DiskLoad {
  /** "row|column" → value of every acknowledged cell. */
  readonly acked: Map<string, string>;
  /** Cells of failed batches (they may or may not be there). */
  readonly unknown: Set<string>;
  /** Scans' problems (duplicates, order, misses) and failed operations, as lines. */
  readonly problems: string[];
  /** Operations that succeeded and began and ended in the same state, per state. */
  readonly servedIn: Map<string, Served>;
  /** Full scans completed. */
  scans(): number;
  /** Stops the load and closes its clients. */
  stop(): Promise<void>;
}

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));

/**
 * Starts `writers` writers and `scanners` scanners on `table` through the
 * META server at `metaUrl`. Writers' rows are `<prefix>-w<w>-<n>` with
 * `cellsPerBatch` columns each.
 */
export async function startDiskLoad(o: {
  metaUrl: string;
  table: string;
  writers?: number;
  scanners?: number;
  cellsPerBatch?: number;
  prefix?: string;
  state?: () => string;
  pauseMs?: number;
}): Promise<DiskLoad> {
  const acked = new Map<string, string>();
  const unknown = new Set<string>();
  const problems: string[] = [];
  const servedIn = new Map<string, Served>();
  const clients: KdiClient[] = [];
  const state = o.state ?? (() => 'none');
  const prefix = o.prefix ?? 'r';
  let running = true;
  let scans = 0;
  const note = (s0: string, s1: string, what: keyof Served) => {
    if (s0 !== s1) return;
    const e = servedIn.get(s0) ?? { writes: 0, scans: 0 };
    e[what]++;
    servedIn.set(s0, e);
  };

  const writer = async (w: number) => {
    const kdi = await connect({ servers: [o.metaUrl], timeoutMs: 30_000 });
    clients.push(kdi);
    const t = kdi.table(o.table);
    for (let n = 0; running; n++) {
      const row = `${prefix}-w${w}-${String(n).padStart(6, '0')}`;
      const cells = Array.from({ length: o.cellsPerBatch ?? 4 }, (_, j) => ({ row, column: `f:c${j}`, timestamp: 1, value: `v${w}.${n}.${j}.${'x'.repeat(100)}` }));
      const s0 = state();
      try {
        await t.apply(cells);
        for (const c of cells) acked.set(`${c.row}|${c.column}`, c.value);
        note(s0, state(), 'writes');
      } catch (e) {
        for (const c of cells) unknown.add(`${c.row}|${c.column}`);
        problems.push(`write ${row} failed in ${s0}: ${(e as Error).message}`);
      }
      if (o.pauseMs !== undefined) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  };

  const scanner = async (s: number) => {
    const kdi = await connect({ servers: [o.metaUrl], timeoutMs: 30_000 });
    clients.push(kdi);
    const t = kdi.table(o.table);
    while (running) {
      const before = new Set(acked.keys());
      const seen = new Set<string>();
      let last = '';
      let resume: string | undefined;
      const s0 = state();
      try {
        for (;;) {
          const page = await t.scanPage(undefined, { maxCells: 211, ...(resume !== undefined && { resume }) });
          for (const c of page.cells) {
            const k = `${text(c.row)}|${text(c.column)}`;
            if (seen.has(k)) problems.push(`scanner ${s}: ${k} twice in one scan`);
            if (k <= last) problems.push(`scanner ${s}: out of order at ${k}`);
            last = k;
            seen.add(k);
          }
          if (page.end) break;
          resume = page.resume;
        }
      } catch (e) {
        problems.push(`scan failed in ${s0}: ${(e as Error).message}`);
        continue;
      }
      for (const k of before) if (!seen.has(k)) problems.push(`scanner ${s}: missed ${k}, acknowledged before the scan began`);
      scans++;
      note(s0, state(), 'scans');
    }
  };

  let stopped: Promise<void> | undefined;
  const all = [...Array.from({ length: o.writers ?? 2 }, (_, w) => writer(w)), ...Array.from({ length: o.scanners ?? 1 }, (_, s) => scanner(s))];
  return {
    acked,
    unknown,
    problems,
    servedIn,
    scans: () => scans,
    stop() {
      stopped ??= (async () => {
        running = false;
        await Promise.all(all);
        for (const c of clients) await c.close();
      })();
      return stopped;
    },
  };
}

/** Every cell of `table` read through the META server at `metaUrl`, "row|column" → value, and keys seen twice. */
export async function readAll(metaUrl: string, table: string): Promise<{ cells: Map<string, string>; duplicates: string[] }> {
  const kdi = await connect({ servers: [metaUrl], timeoutMs: 30_000 });
  try {
    const cells = new Map<string, string>();
    const duplicates: string[] = [];
    for await (const c of kdi.table(table).scan()) {
      const k = `${text(c.row)}|${text(c.column)}`;
      if (cells.has(k)) duplicates.push(k);
      cells.set(k, text(c.value));
    }
    return { cells, duplicates };
  } finally {
    await kdi.close();
  }
}

/** Acknowledged cells missing or changed, and cells never written (neither acknowledged nor of a failed batch). */
export function compare(load: Pick<DiskLoad, 'acked' | 'unknown'>, cells: Map<string, string>): { lost: string[]; invented: string[] } {
  const lost = [...load.acked].filter(([k, v]) => cells.get(k) !== v).map(([k]) => k);
  const invented = [...cells.keys()].filter((k) => !load.acked.has(k) && !load.unknown.has(k));
  return { lost, invented };
}
