// Property tests for the contract between parser and printer (DESIGN §3):
// parse(print(p)) deep-equals p for every printable predicate, printing is
// idempotent, and arbitrary text either parses or fails with a positioned
// PredicateSyntaxError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePredicate } from './parser.js';
import { prefixSuccessor } from './prefix.js';
import type { Bound, Interval } from '@kdi/primitives';
import type { Predicate } from './predicate.js';
import { printPredicate } from './printer.js';
import { PredicateSyntaxError } from './syntax-error.js';

// Bytes that stress quoting: NUL, 0xFF, both quotes, backslash, escapes'
// letters, control bytes, pieces of valid and invalid UTF-8.
const trickyByte = fc.constantFrom(
  0x00,
  0x01,
  0x09,
  0x0a,
  0x0d,
  0x1f,
  0x20,
  0x22,
  0x27,
  0x5c,
  0x61,
  0x75,
  0x78,
  0x7f,
  0x80,
  0xa0,
  0xa9,
  0xbf,
  0xc0,
  0xc2,
  0xc3,
  0xe2,
  0x82,
  0xac,
  0xed,
  0xef,
  0xf0,
  0x9f,
  0xf4,
  0xfe,
  0xff,
);
const bytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 10 }).map((u) => Buffer.from(u)),
  fc.array(trickyByte, { maxLength: 10 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 6 }).map((s) => Buffer.from(s, 'utf8')),
);
const time = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

function intervalOf<T>(value: fc.Arbitrary<T>): fc.Arbitrary<Interval<T>> {
  const bound: fc.Arbitrary<Bound<T>> = fc.record({ value, inclusive: fc.boolean() }, { noNullPrototype: true });
  return fc.oneof(
    bound.map((lower) => ({ lower })),
    bound.map((upper) => ({ upper })),
    fc.record({ lower: bound, upper: bound }, { noNullPrototype: true }),
    value.map((v) => ({ lower: { value: v, inclusive: true }, upper: { value: v, inclusive: true } })),
  );
}

// The prefix form `~=` parses to; generated explicitly so the printer's
// `~=` shortcut is exercised.
const prefixInterval: fc.Arbitrary<Interval<Buffer>> = bytes.map((p) => {
  const successor = prefixSuccessor(p);
  const lower = { value: p, inclusive: true };
  return successor === undefined ? { lower } : { lower, upper: { value: successor, inclusive: false } };
});
const byteIntervals = fc.array(fc.oneof(intervalOf(bytes), prefixInterval), { minLength: 1, maxLength: 4 });

const predicate: fc.Arbitrary<Predicate> = fc.record(
  {
    rows: byteIntervals,
    columns: byteIntervals,
    times: fc.array(intervalOf(time), { minLength: 1, maxLength: 4 }),
    history: time.filter((k) => k !== 0),
  },
  { requiredKeys: [], noNullPrototype: true },
);

describe('print/parse round trip', () => {
  it('parsePredicate(printPredicate(p)) deep-equals p', () => {
    fc.assert(
      fc.property(predicate, (p) => {
        expect(parsePredicate(printPredicate(p))).toStrictEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('printing is idempotent', () => {
    fc.assert(
      fc.property(predicate, (p) => {
        const text = printPredicate(p);
        expect(printPredicate(parsePredicate(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('any text parses (and then round-trips) or fails with a positioned PredicateSyntaxError', () => {
    // Token lists that are mostly well-formed (varied spellings: both quote
    // styles, ISO and @ times, both directions), then damaged by at most one
    // edit, so the parser sees both valid text and near misses.
    const str = fc.constantFrom("'a'", '"b"', String.raw`'\xff'`, String.raw`"\u00e9\n"`, "''");
    const t = fc.constantFrom('@5', '@-1', '2024-01-02', '2024-01-02T03:04:05.5+01:00', '1999-12-31T23:59');
    const up = fc.constantFrom('<', '<=');
    const down = fc.constantFrom('>', '>=');
    const anyOp = fc.constantFrom('<', '<=', '>', '>=', '=');
    const strField = fc.constantFrom('row', 'column');
    const strInterval = fc.oneof(
      fc.tuple(strField, fc.constantFrom('<', '<=', '>', '>=', '=', '~='), str).map((x) => [...x]),
      fc.tuple(str, up, strField, up, str).map((x) => [...x]),
      fc.tuple(str, down, strField, down, str).map((x) => [...x]),
    );
    const timeInterval = fc.oneof(
      fc.tuple(fc.constant('time'), anyOp, t).map((x) => [...x]),
      fc.tuple(t, up, fc.constant('time'), up, t).map((x) => [...x]),
      fc.tuple(t, down, fc.constant('time'), down, t).map((x) => [...x]),
    );
    const orChain = (iv: fc.Arbitrary<string[]>) => fc.array(iv, { minLength: 1, maxLength: 3 }).map((ivs) => ivs.flatMap((x, i) => (i === 0 ? x : ['or', ...x])));
    const clause = fc.oneof(
      orChain(strInterval),
      orChain(timeInterval),
      fc.constantFrom('1', '-3', '0', '2').map((k) => ['history', '=', k]),
    );
    const tokens = fc.array(clause, { maxLength: 4 }).map((cs) => cs.flatMap((c, i) => (i === 0 ? c : ['and', ...c])));
    const piece = fc.constantFrom('row', 'time', 'and', 'or', '<', '>=', '=', '~', "'", "'\\", '@', '!', '3', '2024-02-30');
    const text = fc.tuple(tokens, fc.option(fc.tuple(fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), piece), { freq: 2 })).map(([ts, edit]) => {
      const out = [...ts];
      if (edit !== null) {
        const [at, kind, p] = edit;
        const i = out.length === 0 ? 0 : at % out.length;
        if (kind === 'delete') out.splice(i, 1);
        else if (kind === 'insert') out.splice(i, 0, p);
        else out.splice(i, 1, p);
      }
      return out.join(' ');
    });

    let parsedNonEmpty = 0;
    let failed = 0;
    fc.assert(
      fc.property(text, (source) => {
        let parsed: Predicate;
        try {
          parsed = parsePredicate(source);
        } catch (error) {
          expect(error).toBeInstanceOf(PredicateSyntaxError);
          const e = error as PredicateSyntaxError;
          expect(e.position).toBeGreaterThanOrEqual(0);
          expect(e.position).toBeLessThanOrEqual(source.length);
          expect(e.expected.length).toBeGreaterThan(0);
          expect(e.message).toBe(`at position ${e.position}: expected ${e.expected} but found ${e.found}`);
          failed++;
          return;
        }
        if (Object.keys(parsed).length > 0) parsedNonEmpty++;
        const printed = printPredicate(parsed);
        expect(parsePredicate(printed)).toStrictEqual(parsed);
      }),
      { numRuns: 1000 },
    );
    // Both outcomes must actually be exercised for the property to mean anything.
    expect(parsedNonEmpty).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(100);
  });
});
