// Our engine (@kdi/storage) as a benchmark store: one table, one tablet
// covering every row, LZ4 blocks, a 256 MiB block cache and a 64 MiB memory
// budget. Background errors (serialization, compaction) fail the benchmark
// at the next operation rather than being lost.
import { BlockCache, Engine, lz4Codec, NodeFileSystem } from '@kdi/storage';
import type { Cell } from '@kdi/primitives';
import type { Entry } from './dataset.js';
import type { ScanTotals, Store, StoreKind } from './store.js';
import { CACHE_BYTES, MEMORY_BUDGET_BYTES } from './budgets.js';

const TABLE = 'bench';
const TABLET = 't1';
/** All cells carry one timestamp: every key is written once per store. */
const TIMESTAMP = 1_700_000_000_000_000;

class KdiStore implements Store<Cell[], Buffer> {
  readonly name = 'ours';
  private backgroundError: unknown;

  private constructor(private readonly engine: Engine) {}

  static async open(dir: string): Promise<KdiStore> {
    let store: KdiStore | undefined;
    let early: unknown;
    const engine = await Engine.open({
      fs: new NodeFileSystem(),
      dir,
      codec: lz4Codec,
      cache: new BlockCache({ capacityBytes: CACHE_BYTES }),
      memoryBudgetBytes: MEMORY_BUDGET_BYTES,
      onBackgroundError: (e) => {
        if (store) store.backgroundError ??= e;
        else early ??= e;
      },
    });
    store = new KdiStore(engine);
    store.backgroundError = early;
    await engine.createTablet({ id: TABLET, table: TABLE });
    return store;
  }

  prepareBatch(entries: readonly Entry[]): Cell[] {
    return entries.map((e) => ({ row: e.row, column: e.column, timestamp: TIMESTAMP, value: e.value }));
  }

  prepareKey(entry: Entry): Buffer {
    return entry.row;
  }

  async write(batch: Cell[], sync: boolean): Promise<void> {
    this.check();
    await this.engine.apply(TABLE, batch, { sync });
  }

  /** A point read by row: each row holds exactly one cell (column f:q). */
  async get(row: Buffer): Promise<Uint8Array | undefined> {
    // The engine's point read (point-read.ts): bloom, index, one cached block; a scan of the row when that does not apply.
    const cells = await this.engine.readRow(TABLET, row);
    return cells[0]?.value ?? undefined;
  }

  async settle(): Promise<void> {
    await this.engine.serialize();
    await this.engine.compactTablet(TABLET, { full: true });
    await this.engine.idle();
    this.check();
  }

  async scanAll(): Promise<ScanTotals> {
    const scanner = await this.engine.openScanner(TABLET, {});
    let entries = 0;
    let bytes = 0;
    for (;;) {
      const page = await scanner.nextBatch(10_000, 4 << 20);
      for (const c of page.cells) bytes += c.row.length + c.column.length + (c.value?.length ?? 0);
      entries += page.cells.length;
      if (page.end) break;
    }
    return { entries, bytes };
  }

  async close(): Promise<void> {
    await this.engine.close();
    this.check();
  }

  private check(): void {
    if (this.backgroundError !== undefined) throw new Error('our engine failed in the background', { cause: this.backgroundError });
  }
}

export const kdiStoreKind: StoreKind = {
  label: 'ours',
  open: (dir) => KdiStore.open(dir),
};
