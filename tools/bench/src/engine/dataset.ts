// The data both engines are fed: entry i has the 16-byte row
// `row` + i zero-padded to 13 digits, the column `f:q` and a value of
// `valueSize` bytes. Values are db_bench-style: half random bytes, half
// repeats, so they compress to about 50% and neither LZ4 (ours) nor Snappy
// (LevelDB) gets a free ride on all-zero data. Entry i's value is a slice
// of one shared pool at an offset derived from i, so both engines store
// exactly the same bytes and building a batch copies nothing.
import { seededRandom, randomInt, type Random } from '../common/random.js';

export const ROW_BYTES = 16;
export const COLUMN = Buffer.from('f:q');
const ROW_DIGITS = ROW_BYTES - 3;
const POOL_BYTES = 1 << 20;

export interface Entry {
  readonly row: Buffer;
  readonly column: Buffer;
  readonly value: Buffer;
}

export class Dataset {
  private readonly pool: Buffer;

  constructor(
    /** Entries 0..entries-1 exist once the dataset is written. */
    readonly entries: number,
    readonly valueSize: number,
    seed = 301,
  ) {
    this.pool = compressiblePool(POOL_BYTES + valueSize, seededRandom(seed));
  }

  /** User bytes of one entry (row + column + value), the basis of MB/s. */
  get entryBytes(): number {
    return ROW_BYTES + COLUMN.length + this.valueSize;
  }

  row(i: number): Buffer {
    return Buffer.from(`row${String(i).padStart(ROW_DIGITS, '0')}`, 'latin1');
  }

  value(i: number): Buffer {
    const offset = (i * 7919) % POOL_BYTES;
    return this.pool.subarray(offset, offset + this.valueSize);
  }

  entry(i: number): Entry {
    return { row: this.row(i), column: COLUMN, value: this.value(i) };
  }

  /** `order` cut into batches of `batchSize` entries. */
  batches(order: ArrayLike<number>, batchSize: number): Entry[][] {
    const out: Entry[][] = [];
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(order.length, start + batchSize);
      const batch: Entry[] = [];
      for (let k = start; k < end; k++) batch.push(this.entry(order[k]!));
      out.push(batch);
    }
    return out;
  }

  /** `n` indexes of existing entries, uniformly at random (repeats allowed). */
  randomIndexes(n: number, rnd: Random): Uint32Array {
    const out = new Uint32Array(n);
    for (let k = 0; k < n; k++) out[k] = randomInt(rnd, this.entries);
    return out;
  }
}

/** Bytes where each 32-byte run is 16 random bytes then those 16 again: ~2:1 compressible. */
function compressiblePool(size: number, rnd: Random): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 32) {
    for (let j = 0; j < 16 && i + j < size; j++) b[i + j] = 32 + randomInt(rnd, 95);
    for (let j = 16; j < 32 && i + j < size; j++) b[i + j] = b[i + j - 16]!;
  }
  return b;
}

/** 0..n-1 in order. */
export function sequentialOrder(n: number): Uint32Array {
  const o = new Uint32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}
