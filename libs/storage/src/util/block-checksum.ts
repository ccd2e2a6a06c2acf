// CRC-32C of fragment blocks and log records: the hardware instruction
// (SSE4.2 / ARMv8 CRC32, through the `@node-rs/crc32` addon) where it
// loads, about ten times the slice-by-8 TypeScript table on 64 KiB blocks;
// the TypeScript crc32c of @kdi/primitives for short inputs (the addon's
// call costs more than the table below NATIVE_MIN_BYTES) and when the
// addon does not load. Same function, same values: the formats do not
// depend on which ran. Figures in docs/benchmarks.md ("Primitives").
import { crc32c } from '@kdi/primitives';
import { lazyAddon, type AddonSpec } from './native-addon.js';

/** The slice of the addon we use. */
export interface NativeCrc32c {
  /** CRC-32C of all of `input`, continuing from `initialState` (an earlier result; 0 to start). */
  crc32c(input: Uint8Array, initialState?: number): number;
}

/** Below this many bytes the TypeScript table is as fast as the addon call (bench:primitives). */
export const NATIVE_MIN_BYTES = 256;

/** A block checksum function over a lazily loaded addon; tests pass a loader that fails. */
export function createBlockCrc32c(spec: Partial<AddonSpec<NativeCrc32c>> = {}): (data: Uint8Array, crc?: number, start?: number, end?: number) => number {
  const addon = lazyAddon<NativeCrc32c>({ name: '@node-rs/crc32', fallback: 'the TypeScript CRC-32C', ...spec });
  return (data, crc = 0, start = 0, end = data.length) => {
    if (end - start < NATIVE_MIN_BYTES) return crc32c(data, crc, start, end);
    const native = addon();
    if (native === null) return crc32c(data, crc, start, end);
    return native.crc32c(start === 0 && end === data.length ? data : data.subarray(start, end), crc);
  };
}

/** CRC-32C of data[start, end), continuing from `crc` (0 to start); the same values as crc32c. */
export const blockCrc32c = createBlockCrc32c();
