import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '@kdi/primitives';
import { encodeRecord, findNextValidRecord, parseRecord, RECORD_HEADER_BYTES, recordSize } from './log-format.js';

function encode(records: { segmentId: number; seq: number; payload: Uint8Array }[]): Uint8Array {
  const buf = new Uint8Array(records.reduce((n, r) => n + recordSize(r.payload.length), 0));
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const r of records) off = encodeRecord(buf, view, off, r.segmentId, r.seq, r.payload);
  expect(off).toBe(buf.length);
  return buf;
}

const parse = (buf: Uint8Array, off: number, segmentId: number) => parseRecord(buf, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), off, buf.length, segmentId);

describe('log record format', () => {
  it('lays out len | crc | segment id | seq | payload, little-endian', () => {
    const payload = Uint8Array.of(0xaa, 0xbb, 0xcc);
    const buf = encode([{ segmentId: 0x0102030405, seq: 2 ** 53 - 1, payload }]);
    expect(buf.length).toBe(RECORD_HEADER_BYTES + 3);
    expect([...buf.subarray(0, 4)]).toEqual([3, 0, 0, 0]);
    expect([...buf.subarray(8, 16)]).toEqual([0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0]);
    expect([...buf.subarray(16, 24)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]);
    expect([...buf.subarray(24)]).toEqual([0xaa, 0xbb, 0xcc]);
    // The crc covers the length, then everything after the crc field.
    const expected = crc32c(buf, crc32c(buf, 0, 0, 4), 8);
    expect(new DataView(buf.buffer).getUint32(4, true)).toBe(expected);
  });

  it('parses what it encodes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.integer({ min: 1, max: 2 ** 40 }), (payloads, segmentId) => {
        const buf = encode(payloads.map((payload, i) => ({ segmentId, seq: i + 1, payload })));
        let off = 0;
        for (const [i, payload] of payloads.entries()) {
          const r = parse(buf, off, segmentId);
          if (r.kind !== 'ok') throw new Error(`record ${i}: ${r.kind}`);
          expect(r.seq).toBe(i + 1);
          expect(buf.subarray(r.payloadStart, r.end)).toEqual(payload);
          off = r.end;
        }
        expect(off).toBe(buf.length);
      }),
    );
  });

  it('detects every single-bit flip, including in the length', () => {
    const buf = encode([{ segmentId: 7, seq: 9, payload: new TextEncoder().encode('payload bytes') }]);
    for (let bit = 0; bit < buf.length * 8; bit++) {
      const copy = buf.slice();
      copy[bit >>> 3]! ^= 1 << (bit & 7);
      expect(parse(copy, 0, 7).kind, `bit ${bit}`).not.toBe('ok');
    }
  });

  it('reports a cut record as incomplete and a wrong segment or zeros as bad', () => {
    const buf = encode([{ segmentId: 3, seq: 1, payload: new Uint8Array(10) }]);
    for (let cut = 0; cut < buf.length; cut++) expect(parse(buf.subarray(0, cut), 0, 3).kind).toBe('incomplete');
    expect(parse(buf, 0, 4)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('segment 3') });
    expect(parse(new Uint8Array(64), 0, 0).kind).toBe('bad');
  });

  it('finds the next valid record of the segment after damage', () => {
    const a = encode([{ segmentId: 5, seq: 1, payload: new Uint8Array(50).fill(5) }]);
    const b = encode([{ segmentId: 5, seq: 2, payload: new Uint8Array(20).fill(6) }]);
    const other = encode([{ segmentId: 6, seq: 3, payload: new Uint8Array(20) }]);
    const buf = new Uint8Array(a.length + 13 + other.length + b.length);
    buf.set(a);
    buf.fill(0x77, a.length, a.length + 13);
    buf.set(other, a.length + 13);
    buf.set(b, a.length + 13 + other.length);
    buf[30] = buf[30]! ^ 1;
    const view = new DataView(buf.buffer);
    expect(findNextValidRecord(buf, view, 0, buf.length, 5)).toBe(a.length + 13 + other.length);
    expect(findNextValidRecord(buf, view, a.length + 13 + other.length, buf.length, 5)).toBe(-1);
    expect(findNextValidRecord(buf, view, 0, buf.length - 1, 5)).toBe(-1);
  });
});
