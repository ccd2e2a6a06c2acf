// The four engine workloads, each timed the same way for every store:
//  - writes: a fresh store per run; batches of entries applied one after
//    another, each awaited (no pipelining); the clock stops when the last
//    batch is acknowledged — background flushing and compaction that is
//    still running then is not counted, as in LevelDB's db_bench;
//  - point reads: on a settled store (all data on disk, fully compacted),
//    every key read once untimed to warm caches (and to check the value),
//    then the same keys read again one at a time, each awaited;
//  - full scan: every entry once, in pages, checked against the dataset.
// Setup (opening, building batches, settling) is outside the clock.
import { join } from 'node:path';
import { medianSeconds, nowSeconds } from '../common/measure.js';
import type { Dataset, Entry } from './dataset.js';
import type { Store, StoreKind } from './store.js';

export type AnyStore = Store<unknown, unknown>;

/** Hands out fresh, unique store directories under one parent. */
export class StoreDirs {
  private next = 1;
  constructor(private readonly parent: string) {}

  allocate(label: string): string {
    return join(this.parent, `${label}-${this.next++}`);
  }
}

export interface WriteRuns {
  readonly seconds: number;
  /** The last run's store, still open, when asked to keep it; the caller closes it. */
  readonly kept: { store: AnyStore; dir: string } | undefined;
}

/**
 * Median seconds to write `batches` into a fresh store with `sync` per batch.
 * Every other run's store is closed and its directory removed at once.
 */
export async function runWrites(
  kind: StoreKind,
  dirs: StoreDirs,
  batches: readonly (readonly Entry[])[],
  sync: boolean,
  keepLast: boolean,
  removeDir: (dir: string) => Promise<void>,
): Promise<WriteRuns> {
  let prepared: unknown[] | undefined;
  let kept: { store: AnyStore; dir: string } | undefined;
  const discard = async (k: { store: AnyStore; dir: string }) => {
    await k.store.close();
    await removeDir(k.dir);
  };
  try {
    const seconds = await medianSeconds(async () => {
      if (kept) await discard(kept);
      kept = undefined;
      const dir = dirs.allocate(kind.label);
      const store = await kind.open(dir);
      kept = { store, dir };
      // Native batches are plain data, built once and reused by every run.
      prepared ??= batches.map((b) => store.prepareBatch(b));
      const start = nowSeconds();
      for (const b of prepared) await store.write(b, sync);
      return nowSeconds() - start;
    });
    if (!keepLast && kept) {
      await discard(kept);
      kept = undefined;
    }
    return { seconds, kept };
  } catch (e) {
    if (kept) await discard(kept).catch(() => undefined);
    throw e;
  }
}

/**
 * Median seconds to read the entries at `indexes` one at a time, after one
 * warming pass over them; `fastest` uses the store's fastest read API.
 */
export async function runPointReads(store: AnyStore, dataset: Dataset, indexes: Uint32Array, fastest = false): Promise<number> {
  const keys = Array.from(indexes, (i) => store.prepareKey(dataset.entry(i)));
  const get = fastest && store.getFastest ? store.getFastest.bind(store) : store.get.bind(store);
  for (let k = 0; k < keys.length; k++) {
    const i = indexes[k]!;
    const v = await get(keys[k]);
    if (v === undefined) throw new Error(`${store.name}: entry ${i} (row ${dataset.row(i).toString('latin1')}) is missing`);
    if (Buffer.compare(v, dataset.value(i)) !== 0) throw new Error(`${store.name}: entry ${i} has the wrong value`);
  }
  return medianSeconds(async () => {
    let missing = 0;
    const start = nowSeconds();
    for (const key of keys) if ((await get(key)) === undefined) missing++;
    const seconds = nowSeconds() - start;
    if (missing > 0) throw new Error(`${store.name}: ${missing} of ${keys.length} keys missing on the timed pass`);
    return seconds;
  });
}

/** Median seconds for a full scan; every run must see exactly the dataset. */
export async function runScan(store: AnyStore, dataset: Dataset): Promise<number> {
  return medianSeconds(async () => {
    const start = nowSeconds();
    const totals = await store.scanAll();
    const seconds = nowSeconds() - start;
    const bytes = dataset.entries * dataset.entryBytes;
    if (totals.entries !== dataset.entries || totals.bytes !== bytes) {
      throw new Error(`${store.name}: full scan saw ${totals.entries} entries / ${totals.bytes} bytes, expected ${dataset.entries} / ${bytes}`);
    }
    return seconds;
  });
}
