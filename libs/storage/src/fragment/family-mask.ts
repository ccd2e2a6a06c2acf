// Family masks (DESIGN §5: "family masks skip blocks"). Each index entry
// carries a 64-bit mask with bit (crc32c(family) mod 64) set for every
// column family that has a cell in the block; a scan for family F can skip
// a block whose mask lacks F's bit. Part of the on-disk format: changing
// the hash changes what old fragments mean.
//
// In memory a mask is a bigint (one per block, made once when the index is
// read); the writer accumulates the two 32-bit halves as numbers so adding
// a cell creates no BigInt.
import { crc32c } from '@kdi/primitives';

const COLON = 0x3a;

/** The bit (0..63) of a family. */
export function familyBit(family: Uint8Array): number {
  return crc32c(family) & 63;
}

/** The bit (0..63) of a column's family (the bytes before the first ':'), without copying it. */
export function familyBitOfColumn(column: Uint8Array): number {
  const colon = column.indexOf(COLON);
  return crc32c(column, 0, 0, colon < 0 ? column.length : colon) & 63;
}

/** The mask with only `family`'s bit set. */
export function familyMaskOf(family: Uint8Array): bigint {
  return 1n << BigInt(familyBit(family));
}

/** The mask of several families (a locality group, a scan's column set). */
export function familyMaskOfAll(families: Iterable<Uint8Array>): bigint {
  let m = 0n;
  for (const f of families) m |= familyMaskOf(f);
  return m;
}

/** A mask from its low and high 32-bit halves. */
export function maskFromHalves(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The low and high 32-bit halves of a mask. */
export function maskHalves(mask: bigint): [lo: number, hi: number] {
  return [Number(mask & 0xffffffffn), Number((mask >> 32n) & 0xffffffffn)];
}
