// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of
// every log record, fragment block and binary cell block. Slice-by-8
// tables: eight input bytes per loop step (figures in docs/benchmarks.md).
// Storage may route large inputs to a hardware CRC behind the same
// signature; this is the one TypeScript implementation.

const POLY = 0x82f63b78;

const TABLES = ((): Uint32Array[] => {
  const tables: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) tables.push(new Uint32Array(256));
  const t0 = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t0[i]!;
    for (let k = 1; k < 8; k++) {
      c = (t0[c & 0xff]! ^ (c >>> 8)) >>> 0;
      tables[k]![i] = c;
    }
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * CRC-32C of data[start, end), continuing from `crc` (the result of an
 * earlier call over the preceding bytes; 0 to start). Unsigned 32-bit.
 */
export function crc32c(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  let c = ~crc >>> 0;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  while (i < stop8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c = T7[lo & 0xff]! ^ T6[(lo >>> 8) & 0xff]! ^ T5[(lo >>> 16) & 0xff]! ^ T4[lo >>> 24]! ^ T3[data[i + 4]!]! ^ T2[data[i + 5]!]! ^ T1[data[i + 6]!]! ^ T0[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
