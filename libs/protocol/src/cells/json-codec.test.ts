import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import type { Cell } from '@kdi/primitives';
import { decodeBase64, decodeJsonCells, encodeJsonCells, needsBase64 } from './json-codec.js';
import { JsonCellSchema, JsonCellsSchema } from './json-schema.js';
import { DEFAULT_LIMITS, type CellLimits } from './limits.js';

function errorOf(fn: () => unknown): KdiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KdiError);
    expect((e as KdiError).code).toBe('INVALID_ARGUMENT');
    return e as KdiError;
  }
  throw new Error('expected a KdiError');
}

describe('decodeJsonCells', () => {
  it('decodes sets and erasures as UTF-8', () => {
    const cells = decodeJsonCells(
      [
        { row: 'com.cnn/', column: 'anchor:ß', timestamp: -5, value: 'héllo 😀' },
        { row: '', column: '', timestamp: Number.MAX_SAFE_INTEGER, erase: true },
      ],
      'utf8',
    );
    expect(cells).toHaveLength(2);
    expect(Buffer.from(cells[0]!.column).toString('hex')).toBe(Buffer.from('anchor:ß').toString('hex'));
    expect(Buffer.from(cells[0]!.value!).toString('utf8')).toBe('héllo 😀');
    expect(cells[0]!.timestamp).toBe(-5);
    expect(cells[1]).toEqual({ row: Buffer.alloc(0), column: Buffer.alloc(0), timestamp: Number.MAX_SAFE_INTEGER, value: null });
  });

  it('decodes base64 fields to bytes, including 0x00 and 0xFF', () => {
    const [cell] = decodeJsonCells([{ row: 'AP8=', column: '', timestamp: 0, value: '//8A' }], 'base64');
    expect(Buffer.from(cell!.row).toString('hex')).toBe('00ff');
    expect(cell!.column.length).toBe(0);
    expect(Buffer.from(cell!.value!).toString('hex')).toBe('ffff00');
  });

  it.each([
    ['not an array', { row: 'r' }, /^cells: /],
    ['a cell that is not an object', ['x'], /^cells\[0\]: /],
    ['an unknown field', [{ row: 'r', column: 'c', timestamp: 1, value: 'v', ttl: 5 }], /^cells\[0\]: .*ttl/],
    ['a missing row', [{ column: 'c', timestamp: 1, value: 'v' }], /^cells\[0\]\.row: /],
    ['a numeric column', [{ row: 'r', column: 7, timestamp: 1, value: 'v' }], /^cells\[0\]\.column: /],
    ['a fractional timestamp', [{ row: 'r', column: 'c', timestamp: 1.5, value: 'v' }], /^cells\[0\]\.timestamp: /],
    ['an unsafe timestamp', [{ row: 'r', column: 'c', timestamp: 2 ** 53, value: 'v' }], /^cells\[0\]\.timestamp: /],
    ['a string timestamp', [{ row: 'r', column: 'c', timestamp: '1', value: 'v' }], /^cells\[0\]\.timestamp: /],
    ['erase: false', [{ row: 'r', column: 'c', timestamp: 1, erase: false }], /^cells\[0\]\.erase: /],
    ['a null value', [{ row: 'r', column: 'c', timestamp: 1, value: null }], /^cells\[0\]\.value: /],
    ['erase with a value', [{ row: 'r', column: 'c', timestamp: 1, value: 'v', erase: true }], /^cells\[0\] has both "value" and "erase"/],
    ['neither value nor erase', [{ row: 'r', column: 'c', timestamp: 1 }], /^cells\[0\] has neither "value" nor "erase"/],
  ])('rejects %s, naming the cell and field', (_name, input, pattern) => {
    expect(errorOf(() => decodeJsonCells(input, 'utf8')).message).toMatch(pattern);
  });

  it('names the failing index and summarises many problems', () => {
    const good = { row: 'r', column: 'c', timestamp: 1, value: 'v' };
    expect(errorOf(() => decodeJsonCells([good, good, { ...good, timestamp: 'x' }], 'utf8')).message).toMatch(/^cells\[2\]\.timestamp: /);
    const many = Array.from({ length: 10 }, () => ({ ...good, row: 1 }));
    expect(errorOf(() => decodeJsonCells(many, 'utf8')).message).toMatch(/cells\[0\]\.row: .*cells\[1\]\.row: .*\(and 7 more problems\)$/);
  });

  it('rejects text with an unpaired surrogate instead of corrupting it', () => {
    const e = errorOf(() => decodeJsonCells([{ row: 'ok', column: 'c', timestamp: 1, value: 'a\ud800b' }], 'utf8'));
    expect(e.message).toMatch(/^cells\[0\]\.value has an unpaired UTF-16 surrogate.*base64/);
    expect(e.details).toEqual({ field: 'cells[0].value' });
  });

  describe('limits', () => {
    const small: CellLimits = { maxRowBytes: 4, maxColumnBytes: 3, maxValueBytes: 5, maxRequestBytes: 60 };

    it.each([
      ['row', { row: 'abcde', column: 'c', timestamp: 1, value: 'v' }, 'utf8', 'cells[0].row is 5 bytes; the limit is 4'],
      ['row (multi-byte UTF-8)', { row: 'éé©', column: 'c', timestamp: 1, value: 'v' }, 'utf8', 'cells[0].row is 6 bytes; the limit is 4'],
      ['column', { row: 'r', column: 'abcd', timestamp: 1, value: 'v' }, 'utf8', 'cells[0].column is 4 bytes; the limit is 3'],
      ['value', { row: 'r', column: 'c', timestamp: 1, value: 'abcdef' }, 'utf8', 'cells[0].value is 6 bytes; the limit is 5'],
      ['value (base64)', { row: 'cg==', column: 'Yw==', timestamp: 1, value: 'YWJjZGVm' }, 'base64', 'cells[0].value is 6 bytes; the limit is 5'],
      ['row (long base64)', { row: 'A'.repeat(40), column: 'Yw==', timestamp: 1, value: '' }, 'base64', 'cells[0].row is 30 bytes; the limit is 4'],
    ] as const)('enforces the %s limit', (_name, input, encoding, message) => {
      expect(errorOf(() => decodeJsonCells([input], encoding, small)).message).toBe(message);
    });

    it('enforces the request limit over the batch', () => {
      const c = { row: 'abcd', column: 'abc', timestamp: 1, value: 'abcde' }; // 4+3+5+8 = 20 bytes
      expect(decodeJsonCells([c, c, c], 'utf8', small)).toHaveLength(3);
      expect(errorOf(() => decodeJsonCells([c, c, c, c], 'utf8', small)).message).toMatch(/^the cells up to cells\[3\] add up to 80 bytes; the request limit is 60/);
    });

    it('uses DEFAULT_LIMITS when none are given', () => {
      const row = 'r'.repeat(DEFAULT_LIMITS.maxRowBytes + 1);
      expect(errorOf(() => decodeJsonCells([{ row, column: 'c', timestamp: 1, value: '' }], 'utf8')).message).toBe('cells[0].row is 4097 bytes; the limit is 4096');
    });
  });
});

describe('strict base64', () => {
  it.each([
    ['', ''],
    ['AA==', '00'],
    ['AAA=', '0000'],
    ['AAAA', '000000'],
    ['+/+/', 'fbffbf'],
    ['//8A', 'ffff00'],
  ])('accepts %j', (text, hex) => {
    expect(decodeBase64(text, 'x').toString('hex')).toBe(hex);
  });

  it.each([
    ['AA', /length 2 is not a multiple of 4/],
    ['AAA', /length 3 is not a multiple of 4/],
    ['AA=A', /"=" at character 2 is padding inside the text/],
    ['A===', /"=" at character 1 is padding inside the text/],
    ['====', /"=" at character 0 is padding inside the text/],
    ['AA AA', /length 5/],
    ['AA A', /" " at character 2 is not in the base64 alphabet/],
    ['AA-_', /"-" at character 2 is not in the base64 alphabet/],
    ['AAA\n', /"\\n" at character 3 is not in the base64 alphabet/],
    ['AAé=', /"é" at character 2/],
    ['AB==', /character 1 \("B"\) has non-zero bits after the data/],
    ['AAB=', /character 2 \("B"\) has non-zero bits after the data/],
  ])('rejects %j', (text, pattern) => {
    const e = errorOf(() => decodeBase64(text, 'cells[4].row'));
    expect(e.message).toMatch(/^cells\[4\]\.row is not valid base64: /);
    expect(e.message).toMatch(pattern);
  });

  it('names the cell and field from decodeJsonCells', () => {
    const e = errorOf(() =>
      decodeJsonCells(
        [
          { row: 'AA==', column: 'AA==', timestamp: 0, value: 'AA==' },
          { row: 'AA==', column: 'A*==', timestamp: 0, value: '' },
        ],
        'base64',
      ),
    );
    expect(e.message).toMatch(/^cells\[1\]\.column is not valid base64: "\*" at character 1/);
  });

  it('accepts exactly the canonical encodings of byte strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AB/+=Q'.split('')), maxLength: 12 }), (text) => {
        let decoded: Buffer | null = null;
        try {
          decoded = decodeBase64(text, 'f');
        } catch (e) {
          expect(e).toBeInstanceOf(KdiError);
        }
        if (decoded !== null) expect(decoded.toString('base64')).toBe(text);
        else expect(Buffer.from(text, 'base64').toString('base64')).not.toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeJsonCells', () => {
  const cells: Cell[] = [
    { row: Buffer.from('r'), column: Buffer.from('f:q'), timestamp: 3, value: Buffer.from('v') },
    { row: Uint8Array.of(0x72), column: new Uint8Array(0), timestamp: -3, value: null },
  ];

  it('writes sets and erasures in the documented shapes, which the schema accepts', () => {
    const json = encodeJsonCells(cells, 'utf8');
    expect(json).toEqual([
      { row: 'r', column: 'f:q', timestamp: 3, value: 'v' },
      { row: 'r', column: '', timestamp: -3, erase: true },
    ]);
    expect(JsonCellsSchema.safeParse(json).success).toBe(true);
    expect(encodeJsonCells(cells, 'base64')[0]).toEqual({ row: 'cg==', column: 'Zjpx', timestamp: 3, value: 'dg==' });
  });

  it('refuses to write bytes that are not UTF-8 as text, and needsBase64 says so', () => {
    const binary: Cell[] = [...cells, { row: Buffer.from('ok'), column: Buffer.from('c'), timestamp: 1, value: Uint8Array.of(0xc3, 0x28) }];
    expect(needsBase64(cells)).toBe(false);
    expect(needsBase64(binary)).toBe(true);
    expect(needsBase64([{ ...cells[0]!, row: Uint8Array.of(0xed, 0xa0, 0x80) }])).toBe(true); // an encoded surrogate
    const e = errorOf(() => encodeJsonCells(binary, 'utf8'));
    expect(e.message).toBe('cells[2].value is not valid UTF-8, so it cannot be sent as text; use encoding "base64"');
    expect(encodeJsonCells(binary, 'base64')[2]).toEqual({ row: 'b2s=', column: 'Yw==', timestamp: 1, value: 'wyg=' });
  });
});

describe('JsonCellSchema', () => {
  it('accepts exactly what decodeJsonCells accepts in shape (property)', () => {
    const field = fc.oneof(fc.constant('r'), fc.constant(5), fc.constant(null));
    const arb = fc.record(
      {
        row: field,
        column: field,
        timestamp: fc.oneof(fc.integer(), fc.constant(1.5), fc.constant(2 ** 60), fc.constant('1')),
        value: field,
        erase: fc.oneof(fc.constant(true), fc.constant(false), fc.constant('yes')),
        extra: fc.constant(1),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arb, (input) => {
        let decoded = true;
        try {
          decodeJsonCells([input], 'utf8');
        } catch (e) {
          expect(e).toBeInstanceOf(KdiError);
          decoded = false;
        }
        expect(JsonCellSchema.safeParse(input).success).toBe(decoded);
      }),
      { numRuns: 1000 },
    );
  });
});
