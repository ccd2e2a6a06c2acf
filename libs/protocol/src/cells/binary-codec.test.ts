import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import { CELL_BLOCK_MIME_TYPE, decodeCellBlock, encodeCellBlock, type DecodeCellBlockOptions } from './binary-codec.js';
import { crc32c, type Cell } from '@kdi/primitives';
import { DEFAULT_LIMITS, NO_LIMITS } from './limits.js';

const b = (s: string): Buffer => Buffer.from(s);
const set = (row: string, column: string, timestamp: number, value: string): Cell => ({ row: b(row), column: b(column), timestamp, value: b(value) });
const erase = (row: string, column: string, timestamp: number): Cell => ({ row: b(row), column: b(column), timestamp, value: null });

/** Recomputes the checksum of a block whose header or body a test edited. */
function reseal(block: Buffer): Buffer {
  block.writeUInt32LE(crc32c(block, crc32c(block, 0, 0, 20), 24), 20);
  return block;
}

/** A block around a hand-written body; header fields default to the consistent values. */
function rawBlock(body: number[] | Uint8Array, header: { count?: number; flags?: number; bodyLength?: number } = {}): Buffer {
  const bytes = Buffer.from(body instanceof Uint8Array ? body : Uint8Array.from(body));
  const head = Buffer.alloc(24);
  head.write('KDIC', 0, 'latin1');
  head[4] = 1;
  head[5] = header.flags ?? 0;
  head.writeUInt32LE(header.count ?? 1, 8);
  head.writeUInt32LE(header.bodyLength ?? bytes.length, 12);
  head.writeUInt32LE(bytes.length, 16);
  return reseal(Buffer.concat([head, bytes]));
}

const TS_ONE = [1, 0, 0, 0, 0, 0, 0, 0];

function errorOf(data: Uint8Array, options?: DecodeCellBlockOptions): KdiError {
  try {
    decodeCellBlock(data, options);
  } catch (e) {
    expect(e).toBeInstanceOf(KdiError);
    expect((e as KdiError).code).toBe('INVALID_ARGUMENT');
    return e as KdiError;
  }
  throw new Error('expected decodeCellBlock to reject the block');
}

describe('encodeCellBlock', () => {
  it('exports the MIME type', () => {
    expect(CELL_BLOCK_MIME_TYPE).toBe('application/x-kdi-cells');
  });

  it('writes the documented layout byte for byte', () => {
    const block = Buffer.from(encodeCellBlock([set('r', 'c', 1, 'v'), erase('r', 'd', -1)]));
    const body = '00' + '010101' + '0100000000000000' + '726376' + '03' + '01' + 'ffffffffffffffff' + '64';
    const header = '4b444943' + '01' + '00' + '0000' + '02000000' + '1a000000' + '1a000000';
    expect(block.subarray(0, 20).toString('hex')).toBe(header);
    expect(block.subarray(24).toString('hex')).toBe(body);
    expect(block.readUInt32LE(20)).toBe(crc32c(Buffer.from(header + body, 'hex')));
  });

  it('uses multi-byte varints for long fields', () => {
    const value = Buffer.alloc(300, 1);
    const block = Buffer.from(encodeCellBlock([{ row: b('r'), column: b(''), timestamp: 0, value }]));
    expect(block.subarray(24, 29).toString('hex')).toBe('000100ac02'); // 300 = 0xac 0x02
    expect(Buffer.from(decodeCellBlock(block)[0]!.value!).equals(value)).toBe(true);
  });

  it('compresses only when that makes the block smaller', () => {
    const redundant = Array.from({ length: 200 }, (_, i) => set(`row-${i >> 3}`, `family:q${i & 7}`, i, 'the same value, again and again'));
    const plainBlock = encodeCellBlock(redundant);
    const packed = encodeCellBlock(redundant, { compress: true });
    expect(packed[5]).toBe(1);
    expect(packed.length).toBeLessThan(plainBlock.length / 3);

    let seed = 12345;
    const noise = Buffer.from(Array.from({ length: 500 }, () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24));
    const random: Cell[] = [{ row: b('r'), column: b('c'), timestamp: 0x1f2e3d4c5b6a, value: noise }];
    const notPacked = encodeCellBlock(random, { compress: true });
    expect(notPacked[5]).toBe(0);
    expect(Buffer.from(notPacked).equals(Buffer.from(encodeCellBlock(random)))).toBe(true);
  });

  it('encodes no cells as a bare header', () => {
    for (const compress of [false, true]) {
      const block = encodeCellBlock([], { compress });
      expect(block.length).toBe(24);
      expect(decodeCellBlock(block)).toEqual([]);
    }
  });

  it('rejects a timestamp that is not a safe integer, naming the cell', () => {
    for (const timestamp of [1.5, 2 ** 53, Number.NaN]) {
      expect(() => encodeCellBlock([set('a', 'b', 0, ''), set('a', 'b', timestamp, '')])).toThrow(/^cells\[1\]\.timestamp is /);
    }
  });
});

describe('decodeCellBlock', () => {
  const cells = [set('row-1', 'f:a', 10, 'value one'), set('row-1', 'f:b', 10, 'value two'), erase('row-2', 'f:a', 3)];

  it('returns views into an uncompressed input (no copies), as Buffers', () => {
    const block = encodeCellBlock(cells);
    const decoded = decodeCellBlock(block);
    for (const c of decoded) {
      expect(Buffer.isBuffer(c.row)).toBe(true);
      expect(c.row.buffer).toBe(block.buffer);
      expect(c.column.buffer).toBe(block.buffer);
    }
    expect(decoded[0]!.value!.buffer).toBe(block.buffer);
    expect(decoded[1]!.row).toBe(decoded[0]!.row); // a shared row is one view
    block[block.length - 1] = block[block.length - 1]! ^ 0xff; // documented: mutating the input shows through
    expect(decoded[2]!.column.toString()).not.toBe('f:a');
  });

  it('accepts a plain Uint8Array at an offset inside a larger buffer', () => {
    const block = encodeCellBlock(cells, { compress: true });
    const host = new Uint8Array(block.length + 10);
    host.set(block, 5);
    const decoded = decodeCellBlock(host.subarray(5, 5 + block.length));
    expect(decoded.map((c) => [c.row.toString(), c.column.toString(), c.timestamp, c.value?.toString() ?? null])).toEqual([
      ['row-1', 'f:a', 10, 'value one'],
      ['row-1', 'f:b', 10, 'value two'],
      ['row-2', 'f:a', 3, null],
    ]);
  });

  describe('rejects malformed blocks, saying what and where', () => {
    const good = (): Buffer => Buffer.from(encodeCellBlock(cells));

    it.each<[string, () => Uint8Array, RegExp]>([
      ['an empty input', () => new Uint8Array(0), /0 bytes, shorter than its 24-byte header/],
      ['a truncated header', () => good().subarray(0, 23), /23 bytes, shorter than its 24-byte header/],
      ['bad magic', () => reseal(Object.assign(good(), { 0: 0x4a })), /bad magic 4a444943 at block byte 0.*not an application\/x-kdi-cells block/],
      ['an unknown version', () => reseal(Object.assign(good(), { 4: 2 })), /unsupported cell block version 2 at block byte 4/],
      ['unknown block flags', () => reseal(Object.assign(good(), { 5: 0x82 })), /unknown block flags 0x82 at block byte 5/],
      ['non-zero reserved bytes', () => reseal(Object.assign(good(), { 7: 1 })), /reserved block bytes 6-7/],
      [
        'a truncated body',
        () => good().subarray(0, good().length - 1),
        /truncated cell block: the header promises a 71-byte body but only 70 bytes follow it \(block ends at byte 94\)/,
      ],
      ['trailing garbage', () => Buffer.concat([good(), Buffer.from([0])]), /1 bytes of trailing garbage after the body, from block byte 95/],
      ['a flipped body bit', () => Object.assign(good(), { 40: good()[40]! ^ 4 }), /checksum mismatch: the header says 0x[0-9a-f]{8}, the content gives 0x[0-9a-f]{8}/],
      ['an edited header without a new checksum', () => Object.assign(good(), { 8: 2 }), /checksum mismatch/],
      ['more cells promised than present', () => reseal(Object.assign(good(), { 8: 4 })), /the header says 4 cells but the body ends after 3 \(body byte 71\)/],
      ['fewer cells promised than present', () => reseal(Object.assign(good(), { 8: 2 })), /bytes of garbage after the last of 2 cells, from body byte 52/],
      ['a cell count the body cannot hold', () => rawBlock([1, 0, 0, ...TS_ONE], { count: 2 }), /the header says 2 cells, but a 11-byte body holds at most 1/],
      ['a stored length that differs from the body length', () => rawBlock([1, 0, 0, ...TS_ONE], { bodyLength: 12 }), /stores 11 body bytes but its header says the body is 12/],
      ['a row running past the end', () => rawBlock([0, 5, 1, 1, ...TS_ONE, 0x72]), /cell 0 at body byte 0: the 5-byte row at body byte 12 runs past the end of the body \(13\)/],
      [
        'a column running past the end',
        () => rawBlock([0, 1, 9, 1, ...TS_ONE, 0x72, 0x63]),
        /cell 0 at body byte 0: the 9-byte column at body byte 13 runs past the end of the body \(14\)/,
      ],
      ['a value running past the end', () => rawBlock([0, 1, 1, 4, ...TS_ONE, 0x72, 0x63, 0x76]), /the 4-byte value at body byte 14 runs past the end of the body \(15\)/],
      [
        'a timestamp running past the end',
        () => rawBlock([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        /cell 0 at body byte 0: the timestamp at body byte 3 runs past the end of the body \(10\)/,
      ],
      [
        'a length running past the end',
        () => rawBlock([0, 1, 1, 5, ...TS_ONE, 0x72, 0x63, 1, 2, 3, 4, 5, 0, 0x85], { count: 2 }),
        /cell 1: the row length varint at body byte 20 runs past the end of the body \(21\)/,
      ],
      [
        'a varint longer than 5 bytes',
        () => rawBlock([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, ...TS_ONE]),
        /cell 0: the row length varint at body byte 1 is longer than 5 bytes/,
      ],
      ['a varint not in shortest form', () => rawBlock([1, 0x80, 0x00, 0, ...TS_ONE]), /cell 0: the row length varint at body byte 1 is not in shortest form/],
      ['a varint over 2^32-1', () => rawBlock([1, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, ...TS_ONE]), /cell 0: the column length varint at body byte 2 exceeds 2\^32-1/],
      ['a timestamp of 2^53', () => rawBlock([1, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0]), /cell 0 at body byte 0: timestamp 9007199254740992 at body byte 3 is outside/],
      ['a timestamp of -(2^53)', () => rawBlock([1, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0xff]), /timestamp -9007199254740992 at body byte 3 is outside/],
      ['a timestamp of -2^63', () => rawBlock([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]), /timestamp -9223372036854775808/],
      ['unknown cell flags', () => rawBlock([4, 0, 0, ...TS_ONE]), /cell 0 at body byte 0: unknown cell flags 0x4/],
      ['a first cell claiming the previous row', () => rawBlock([3, 0, ...TS_ONE]), /cell 0 at body byte 0 says it repeats the previous cell's row, but it is the first cell/],
      ['bad LZ4 data', () => rawBlock([0xf0, 0xff, 0xff], { flags: 1, bodyLength: 100 }), /the LZ4 body \(from block byte 24\) is bad: malformed LZ4 block: .*literal length/],
      ['LZ4 data decoding to the wrong size', () => rawBlock([0x20, 0x41, 0x42], { flags: 1, bodyLength: 3 }), /LZ4 body.*decodes to 2 bytes; 3 were expected/],
      ['an LZ4 size no body could reach', () => rawBlock([0x00], { flags: 1, bodyLength: 60_000_000 }), /LZ4 body.*cannot expand/],
    ])('%s', (_name, make, pattern) => {
      expect(errorOf(make(), { limits: NO_LIMITS }).message).toMatch(pattern);
    });
  });

  describe('limits', () => {
    it('enforces the cell limits, naming the cell', () => {
      const block = encodeCellBlock([set('a', 'c', 1, 'v'), { row: Buffer.alloc(4097), column: b('c'), timestamp: 1, value: b('') }]);
      expect(errorOf(block).message).toBe('cells[1].row is 4097 bytes; the limit is 4096');
      expect(decodeCellBlock(block, { limits: NO_LIMITS })).toHaveLength(2);
      const small = { ...DEFAULT_LIMITS, maxColumnBytes: 2, maxValueBytes: 3 };
      expect(errorOf(encodeCellBlock([set('a', 'abc', 1, '')]), { limits: small }).message).toBe('cells[0].column is 3 bytes; the limit is 2');
      expect(errorOf(encodeCellBlock([set('a', 'c', 1, 'abcd')]), { limits: small }).message).toBe('cells[0].value is 4 bytes; the limit is 3');
    });

    it('bounds the body size before decompressing it', () => {
      const block = encodeCellBlock([set('a', 'c', 1, 'x'.repeat(5000))], { compress: true });
      expect(errorOf(block, { limits: { ...DEFAULT_LIMITS, maxRequestBytes: 1000 } }).message).toMatch(/body is 5015 bytes; the request limit is 1000/);
    });

    it('counts shared rows in full against the request limit', () => {
      const row = Buffer.alloc(1000, 1);
      const many = Array.from({ length: 50 }, (_, i): Cell => ({ row, column: b(''), timestamp: -i, value: null }));
      const block = encodeCellBlock(many);
      expect(block.length).toBeLessThan(2000); // the row is stored once
      expect(errorOf(block, { limits: { ...DEFAULT_LIMITS, maxRequestBytes: 10_000 } }).message).toMatch(
        /the cells up to cells\[9\] add up to 10080 bytes; the request limit is 10000/,
      );
    });
  });

  describe('requireSorted', () => {
    it('accepts cells in key order', () => {
      const sorted = [set('', '', 5, ''), set('a', 'a', 9, ''), set('a', 'a', -9, ''), set('a', 'b', 0, ''), { ...set('', 'z', 0, ''), row: Buffer.from([0xff]) }];
      expect(decodeCellBlock(encodeCellBlock(sorted), { requireSorted: true })).toHaveLength(5);
    });

    it.each<[string, Cell[], RegExp]>([
      ['rows out of order', [set('b', 'a', 1, ''), set('a', 'a', 1, '')], /cell 1 at body byte 14 sorts before cell 0; cells must be in key order/],
      ['columns out of order in a shared row', [set('a', 'b', 1, ''), set('a', 'a', 1, ''), set('a', 'c', 1, '')], /cell 1 at body byte 14 sorts before cell 0/],
      ['timestamps oldest first', [set('a', 'a', 1, ''), set('a', 'a', 2, '')], /cell 1 at body byte 14 sorts before cell 0/],
      [
        '0xff before 0x00 (bytes are unsigned)',
        [
          { ...set('', 'a', 1, ''), row: Buffer.from([0xff]) },
          { ...set('', 'a', 1, ''), row: Buffer.from([0x00]) },
        ],
        /cell 1 .*sorts before cell 0/,
      ],
      ['a duplicate key', [set('a', 'a', 1, 'x'), erase('a', 'a', 1)], /cell 1 at body byte 15 repeats the key of cell 0; keys must be unique/],
    ])('rejects %s', (_name, unsorted, pattern) => {
      expect(decodeCellBlock(encodeCellBlock(unsorted))).toHaveLength(unsorted.length);
      expect(errorOf(encodeCellBlock(unsorted), { requireSorted: true }).message).toMatch(pattern);
    });
  });

  it('throws only INVALID_ARGUMENT KdiErrors on resealed random corruption (property)', () => {
    const sample = Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? erase(`row${i >> 2}`, `c${i}`, -i) : set(`row${i >> 2}`, `c${i}`, i * 1e9, 'v'.repeat(i))));
    const blocks = [Buffer.from(encodeCellBlock(sample)), Buffer.from(encodeCellBlock(sample, { compress: true }))];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (which, edits, requireSorted) => {
          const block = Buffer.from(blocks[which]!);
          for (const { at, byte } of edits) block[24 + (at % (block.length - 24))] = byte;
          reseal(block);
          try {
            const decoded = decodeCellBlock(block, { requireSorted });
            for (const c of decoded) expect(Number.isSafeInteger(c.timestamp)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(KdiError);
            expect((e as KdiError).code).toBe('INVALID_ARGUMENT');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('an injected CRC-32C (a server passes its hardware one)', () => {
  const cells = [set('r1', 'f:a', 5, 'x'.repeat(1000)), erase('r1', 'f:b', 4), set('r2', 'f:a', 3, 'y')];

  it('writes and checks the same bytes as the TypeScript table, and is the one used', () => {
    const calls: number[] = [];
    const counting = (data: Uint8Array, crc?: number, start?: number, end?: number) => {
      calls.push((end ?? data.length) - (start ?? 0));
      return crc32c(data, crc, start, end);
    };
    const block = encodeCellBlock(cells, { crc32c: counting });
    expect(Buffer.from(block)).toEqual(Buffer.from(encodeCellBlock(cells)));
    expect(calls.length).toBeGreaterThan(0);
    calls.length = 0;
    expect(decodeCellBlock(block, { crc32c: counting })).toEqual(decodeCellBlock(block));
    expect(calls.length).toBeGreaterThan(0);
  });

  it('reports a mismatch the injected function finds as corruption, as the table would', () => {
    const wrong = (data: Uint8Array, crc?: number, start?: number, end?: number) => (crc32c(data, crc, start, end) ^ 1) >>> 0;
    expect(() => decodeCellBlock(encodeCellBlock(cells), { crc32c: wrong })).toThrow(/checksum mismatch/);
  });
});
