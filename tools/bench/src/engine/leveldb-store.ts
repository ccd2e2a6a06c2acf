// LevelDB through classic-level as the peer store. Key = row + 0x00 +
// column, value = value: the same bytes our engine stores, minus the
// timestamp LevelDB has no notion of. Snappy compression stays on (its
// default), as LZ4 does for us.
import { ClassicLevel } from 'classic-level';
import type { Entry } from './dataset.js';
import type { ScanTotals, Store, StoreKind } from './store.js';
import { CACHE_BYTES, MEMORY_BUDGET_BYTES } from './budgets.js';

interface PutOp {
  readonly type: 'put';
  readonly key: Buffer;
  readonly value: Buffer;
}

const SEPARATOR = Buffer.from([0]);
/** Bounds of every key we write (all start with "row"), for compactRange. */
const FIRST_KEY = Buffer.from([0]);
const PAST_LAST_KEY = Buffer.alloc(32, 0xff);
/** Per nextv() page, like our scanner's byte budget per page. */
const SCAN_PAGE_BYTES = 4 << 20;

class LevelStore implements Store<PutOp[], Buffer> {
  readonly name = 'leveldb';

  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>) {}

  static async open(dir: string): Promise<LevelStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      cacheSize: CACHE_BYTES,
      writeBufferSize: MEMORY_BUDGET_BYTES,
    });
    await db.open();
    return new LevelStore(db);
  }

  prepareBatch(entries: readonly Entry[]): PutOp[] {
    return entries.map((e) => ({ type: 'put', key: Buffer.concat([e.row, SEPARATOR, e.column]), value: e.value }));
  }

  prepareKey(entry: Entry): Buffer {
    return Buffer.concat([entry.row, SEPARATOR, entry.column]);
  }

  write(batch: PutOp[], sync: boolean): Promise<void> {
    return this.db.batch(batch, { sync });
  }

  get(key: Buffer): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  // getSync: LevelDB at its fastest for a warm point read (no thread-pool
  // hop per read, several times the async get here).
  getFastest(key: Buffer): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.db.getSync(key));
  }

  settle(): Promise<void> {
    return this.db.compactRange(FIRST_KEY, PAST_LAST_KEY);
  }

  async scanAll(): Promise<ScanTotals> {
    const it = this.db.iterator({ highWaterMarkBytes: SCAN_PAGE_BYTES });
    let entries = 0;
    let bytes = 0;
    try {
      for (;;) {
        const page = await it.nextv(1000);
        if (page.length === 0) break;
        // The key holds row + separator + column; count the user bytes only.
        for (const [k, v] of page) bytes += k.length - SEPARATOR.length + v.length;
        entries += page.length;
      }
    } finally {
      await it.close();
    }
    return { entries, bytes };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export const levelStoreKind: StoreKind = {
  label: 'leveldb',
  open: (dir) => LevelStore.open(dir),
};
