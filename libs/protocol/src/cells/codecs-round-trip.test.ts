// Property tests: every cell codec gives back exactly the cells it was
// given — JSON utf8, JSON base64, binary, binary with LZ4 — over awkward
// bytes (empty, 0x00, 0xFF), erasures, shared rows and extreme timestamps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCellBlock, encodeCellBlock } from './binary-codec.js';
import { compareCellKeys, type Cell } from '@kdi/primitives';
import { decodeJsonCells, encodeJsonCells, needsBase64 } from './json-codec.js';
import { NO_LIMITS } from './limits.js';

const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xff, 0xff), Uint8Array.of(0, 0xff, 0)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 600 }) },
);

/** UTF-8 text of any code point (astral included), as bytes. */
const utf8Arb: fc.Arbitrary<Uint8Array> = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', '\u0000', 'é', '😀', '\uffff'))
  .map((s) => new Uint8Array(Buffer.from(s, 'utf8')));

const timestampArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, -1, 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
);

/** Half the rows come from a small pool (same object or an equal copy), so neighbours share rows. */
const SHARED_ROWS = [Uint8Array.of(0x72, 0x31), new Uint8Array(0), Uint8Array.of(0xff)];
const SHARED_TEXT_ROWS = [Uint8Array.of(0x72, 0x31), new Uint8Array(0), Uint8Array.of(0xc3, 0xa9)];

function cellArb(bytes: fc.Arbitrary<Uint8Array>, rows: Uint8Array[]): fc.Arbitrary<Cell> {
  const sharedRow = fc.tuple(fc.constantFrom(...rows), fc.boolean()).map(([r, copy]) => (copy ? Uint8Array.from(r) : r));
  return fc.record({
    row: fc.oneof(bytes, sharedRow),
    column: bytes,
    timestamp: timestampArb,
    value: fc.option(bytes, { nil: null, freq: 4 }),
  });
}

const cellsArb = fc.array(cellArb(bytesArb, SHARED_ROWS), { maxLength: 60 });
const textCellsArb = fc.array(cellArb(utf8Arb, SHARED_TEXT_ROWS), { maxLength: 60 });

/** A comparable, readable form: bytes as hex, erasures as null. */
function plain(cells: readonly Cell[]): { row: string; column: string; timestamp: number; value: string | null }[] {
  const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
  return cells.map((c) => ({ row: hex(c.row), column: hex(c.column), timestamp: c.timestamp, value: c.value === null ? null : hex(c.value) }));
}

describe('cell codec round trips', () => {
  it('binary, uncompressed and LZ4', () => {
    fc.assert(
      fc.property(cellsArb, fc.boolean(), (cells, compress) => {
        const block = encodeCellBlock(cells, { compress });
        expect(plain(decodeCellBlock(block))).toEqual(plain(cells));
      }),
      { numRuns: 400 },
    );
  });

  it('binary with requireSorted, for cells in key order', () => {
    fc.assert(
      fc.property(cellsArb, fc.boolean(), (cells, compress) => {
        const sorted = [...cells].sort(compareCellKeys).filter((c, i, all) => i === 0 || compareCellKeys(all[i - 1]!, c) !== 0);
        const block = encodeCellBlock(sorted, { compress });
        expect(plain(decodeCellBlock(block, { requireSorted: true }))).toEqual(plain(sorted));
      }),
      { numRuns: 200 },
    );
  });

  it('binary, many large cells with LZ4 (one block of ~20 000 cells)', () => {
    const cells: Cell[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = Buffer.from(`com.example/${String(i >> 4).padStart(6, '0')}`);
      cells.push({
        row,
        column: Buffer.from(`anchor:${i % 16}`),
        timestamp: 1_700_000_000_000_000 - i,
        value: i % 97 === 0 ? null : Buffer.from(`{"n":${i},"pad":"${'x'.repeat(i % 50)}"}`),
      });
    }
    cells.sort(compareCellKeys);
    for (const compress of [false, true]) {
      const block = encodeCellBlock(cells, { compress });
      expect(plain(decodeCellBlock(block, { requireSorted: true }))).toEqual(plain(cells));
    }
    expect(encodeCellBlock(cells, { compress: true }).length).toBeLessThan(encodeCellBlock(cells).length / 2);
  });

  it('JSON base64, any bytes', () => {
    fc.assert(
      fc.property(cellsArb, (cells) => {
        const wire = JSON.parse(JSON.stringify(encodeJsonCells(cells, 'base64'))) as unknown;
        expect(plain(decodeJsonCells(wire, 'base64', NO_LIMITS))).toEqual(plain(cells));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON utf8, any UTF-8 text', () => {
    fc.assert(
      fc.property(textCellsArb, (cells) => {
        expect(needsBase64(cells)).toBe(false);
        const wire = JSON.parse(JSON.stringify(encodeJsonCells(cells, 'utf8'))) as unknown;
        expect(plain(decodeJsonCells(wire, 'utf8', NO_LIMITS))).toEqual(plain(cells));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON → binary → JSON keeps the request intact', () => {
    fc.assert(
      fc.property(cellsArb, fc.boolean(), (cells, compress) => {
        const json = encodeJsonCells(cells, 'base64');
        const viaBinary = decodeCellBlock(encodeCellBlock(decodeJsonCells(json, 'base64'), { compress }));
        expect(encodeJsonCells(viaBinary, 'base64')).toEqual(json);
      }),
      { numRuns: 100 },
    );
  });
});
