// The native addons are optional: importing the engine loads none of them,
// the first use does, and a failed load falls back to the TypeScript
// implementations (same bytes, same checksums) with one warning line.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32c, tsLz4Codec } from '@kdi/primitives';
import { describe, expect, it } from 'vitest';
import { createBlockCrc32c, NATIVE_MIN_BYTES } from '../util/block-checksum.js';
import { createLz4Codec, lz4Codec } from './lz4-codec.js';

const run = promisify(execFile);
const storageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an ES module snippet in a fresh Node that resolves @kdi/* to sources; returns its stdout. */
async function inFreshNode(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions', 'kdi-source', '--input-type=module', '-e', code], { cwd: storageDir });
  return stdout.trim();
}

const text = Buffer.from('row-000123 column:family qualifier value value value '.repeat(400));
const unavailable = () => {
  throw new Error('no prebuilt binary for this platform\nsecond line of the loader error');
};

describe('native addons load lazily', () => {
  it("import '@kdi/storage' loads neither lz4 nor @node-rs/crc32; the first compression and block checksum do", async () => {
    const out = await inFreshNode(`
      import { createRequire } from 'node:module';
      const cache = createRequire(process.cwd() + '/').cache;
      const addons = () => Object.keys(cache).filter((k) => /node_modules\\/(lz4|@node-rs\\/crc32)\\//.test(k)).map((k) => k.includes('lz4') ? 'lz4' : 'crc').filter((v, i, a) => a.indexOf(v) === i).sort();
      const storage = await import('@kdi/storage');
      const before = addons();
      storage.lz4Codec.compress(Buffer.alloc(4096, 7));
      storage.blockCrc32c(Buffer.alloc(4096, 7));
      console.log(JSON.stringify({ before, after: addons() }));
    `);
    expect(JSON.parse(out)).toEqual({ before: [], after: ['crc', 'lz4'] });
  });
});

describe('the LZ4 codec without its addon', () => {
  it('falls back to the TypeScript codec with one warning line, in the same block format', () => {
    const warnings: string[] = [];
    const codec = createLz4Codec({ load: unavailable, warn: (line) => warnings.push(line) });
    const packed = codec.compress(text);
    expect(packed).not.toBeNull();
    expect(Buffer.from(codec.decompress(packed!, text.length)).equals(text)).toBe(true);
    // Blocks cross between the two implementations both ways.
    expect(Buffer.from(lz4Codec.decompress(packed!, text.length)).equals(text)).toBe(true);
    expect(Buffer.from(codec.decompress(lz4Codec.compress(text)!, text.length)).equals(text)).toBe(true);
    expect(codec.compress(randomBytes(8192))).toBeNull();
    expect(() => codec.decompress(packed!.subarray(0, packed!.length - 3), text.length)).toThrow(/malformed LZ4 block/);
    expect(warnings).toEqual(['kdi: the native lz4 addon did not load (no prebuilt binary for this platform); using the TypeScript LZ4 codec instead']);
  });

  it('uses the addon when it loads', () => {
    let loads = 0;
    const codec = createLz4Codec({
      load: () => {
        loads++;
        return { encodeBlock: () => 0, decodeBlock: () => -1 };
      },
    });
    expect(codec.compress(text)).toBeNull(); // the stub never compresses: proof it, not TypeScript, ran
    expect(() => codec.decompress(tsLz4Codec.compress(text)!, text.length)).toThrow(/lz4: malformed input/);
    expect(loads).toBe(1);
  });
});

describe('the block checksum', () => {
  it('gives crc32c values with the addon, without it, and across the native threshold', () => {
    const warnings: string[] = [];
    const fallback = createBlockCrc32c({ load: unavailable, warn: (line) => warnings.push(line) });
    const native = createBlockCrc32c();
    const data = randomBytes(3 * NATIVE_MIN_BYTES);
    for (const [start, end] of [
      [0, data.length],
      [0, NATIVE_MIN_BYTES - 1],
      [5, 5 + NATIVE_MIN_BYTES],
      [7, data.length - 3],
      [10, 10],
    ] as const) {
      const want = crc32c(data, 0, start, end);
      expect(native(data, 0, start, end)).toBe(want);
      expect(fallback(data, 0, start, end)).toBe(want);
      // Continuing from an earlier result, as the log record and block trailers do.
      expect(native(data, crc32c(data, 0, 0, start), start, end)).toBe(crc32c(data, 0, 0, end));
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/native @node-rs\/crc32 addon did not load .*; using the TypeScript CRC-32C instead$/);
  });
});
