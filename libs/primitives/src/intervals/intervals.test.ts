import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../cells/cell.js';
import { compareNumbers, intersectIntervals, intervalContains, isEmptyInterval, normalizedSetContains, normalizeIntervals, type Bound, type Interval } from './intervals.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const incl = <T>(value: T) => ({ value, inclusive: true });
const excl = <T>(value: T) => ({ value, inclusive: false });

describe('normalizeIntervals', () => {
  it('drops empty intervals', () => {
    expect(
      normalizeIntervals([
        { lower: incl(b('b')), upper: incl(b('a')) },
        { lower: incl(b('a')), upper: excl(b('a')) },
        { lower: excl(b('a')), upper: incl(b('a')) },
      ]),
    ).toStrictEqual([]);
    expect(normalizeIntervals([{ lower: incl(b('a')), upper: incl(b('a')) }])).toStrictEqual([{ lower: incl(b('a')), upper: incl(b('a')) }]);
  });

  it('sorts by lower bound and merges overlapping intervals', () => {
    expect(
      normalizeIntervals([
        { lower: incl(b('m')), upper: excl(b('p')) },
        { lower: incl(b('b')), upper: excl(b('d')) },
        { lower: excl(b('a')), upper: incl(b('c')) },
      ]),
    ).toStrictEqual([
      { lower: excl(b('a')), upper: excl(b('d')) },
      { lower: incl(b('m')), upper: excl(b('p')) },
    ]);
  });

  it('merges intervals that touch and keeps those that leave a gap of one value', () => {
    expect(
      normalizeIntervals([
        { lower: incl(b('a')), upper: excl(b('b')) },
        { lower: incl(b('b')), upper: incl(b('c')) },
      ]),
    ).toStrictEqual([{ lower: incl(b('a')), upper: incl(b('c')) }]);
    expect(
      normalizeIntervals([
        { lower: incl(b('a')), upper: incl(b('b')) },
        { lower: excl(b('b')), upper: excl(b('c')) },
      ]),
    ).toStrictEqual([{ lower: incl(b('a')), upper: excl(b('c')) }]);
    const gap = [
      { lower: incl(b('a')), upper: excl(b('b')) },
      { lower: excl(b('b')), upper: excl(b('c')) },
    ];
    expect(normalizeIntervals(gap)).toStrictEqual(gap);
  });

  it('lets unbounded sides absorb what they cover', () => {
    expect(
      normalizeIntervals([{ lower: incl(b('k')) }, { upper: excl(b('c')) }, { lower: incl(b('a')), upper: incl(b('b')) }, { lower: incl(b('x')), upper: incl(b('y')) }]),
    ).toStrictEqual([{ upper: excl(b('c')) }, { lower: incl(b('k')) }]);
    expect(normalizeIntervals([{ lower: incl(b('k')) }, { upper: incl(b('k')) }])).toStrictEqual([{}]);
  });

  it('orders times numerically', () => {
    expect(
      normalizeIntervals(
        [
          { lower: incl(10), upper: incl(20) },
          { lower: incl(-5), upper: excl(2) },
          { lower: incl(2), upper: incl(3) },
        ],
        compareNumbers,
      ),
    ).toStrictEqual([
      { lower: incl(-5), upper: incl(3) },
      { lower: incl(10), upper: incl(20) },
    ]);
  });

  it('does not reorder or modify its input', () => {
    const first = { lower: incl(b('c')) };
    const second = { lower: incl(b('a')), upper: incl(b('d')) };
    const input = [first, second];
    normalizeIntervals(input);
    expect(input[0]).toBe(first);
    expect(input[1]).toBe(second);
    expect(first).toStrictEqual({ lower: incl(b('c')) });
    expect(second).toStrictEqual({ lower: incl(b('a')), upper: incl(b('d')) });
  });
});

// Small alphabets make equal and adjacent bounds common.
const smallBytes = fc.uint8Array({ minLength: 0, maxLength: 3, min: 0x61, max: 0x63 }).map((u) => Buffer.from(u));
const bound = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Bound<T> | undefined> => fc.option(fc.record({ value, inclusive: fc.boolean() }), { nil: undefined });
const interval = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Interval<T>> =>
  fc.tuple(bound(value), bound(value)).map(([lower, upper]) => ({
    ...(lower && { lower }),
    ...(upper && { upper }),
  }));

describe('normalizeIntervals properties', () => {
  it('admits exactly the values of the union (bytes)', () => {
    fc.assert(
      fc.property(fc.array(interval(smallBytes), { maxLength: 6 }), fc.array(smallBytes, { maxLength: 20 }), (ivs, probes) => {
        const normalized = normalizeIntervals(ivs);
        for (const v of probes) {
          const expected = ivs.some((iv) => intervalContains(iv, v, compareBytes));
          expect(normalizedSetContains(normalized, v, compareBytes)).toBe(expected);
          expect(normalized.some((iv) => intervalContains(iv, v, compareBytes))).toBe(expected);
        }
      }),
    );
  });

  it('admits exactly the values of the union (times)', () => {
    const time = fc.integer({ min: -4, max: 4 });
    fc.assert(
      fc.property(fc.array(interval(time), { maxLength: 6 }), (ivs) => {
        const normalized = normalizeIntervals(ivs, compareNumbers);
        for (let v = -6; v <= 6; v++) {
          const expected = ivs.some((iv) => intervalContains(iv, v, compareNumbers));
          expect(normalizedSetContains(normalized, v, compareNumbers)).toBe(expected);
        }
      }),
    );
  });

  it('returns sorted, non-empty intervals that neither overlap nor touch', () => {
    fc.assert(
      fc.property(fc.array(interval(smallBytes), { maxLength: 6 }), (ivs) => {
        const normalized = normalizeIntervals(ivs);
        for (const iv of normalized) {
          if (iv.lower && iv.upper) {
            const c = compareBytes(iv.lower.value, iv.upper.value);
            expect(c < 0 || (c === 0 && iv.lower.inclusive && iv.upper.inclusive)).toBe(true);
          }
        }
        for (let i = 1; i < normalized.length; i++) {
          const upper = normalized[i - 1]?.upper;
          const lower = normalized[i]?.lower;
          expect(upper).toBeDefined();
          expect(lower).toBeDefined();
          if (upper && lower) {
            const c = compareBytes(upper.value, lower.value);
            expect(c < 0 || (c === 0 && !upper.inclusive && !lower.inclusive)).toBe(true);
          }
        }
      }),
    );
  });
});

describe('intersectIntervals', () => {
  it('admits exactly the values both intervals admit, undefined when none', () => {
    fc.assert(
      fc.property(interval(smallBytes), interval(smallBytes), fc.array(smallBytes, { maxLength: 8 }), (a, c, values) => {
        const both = intersectIntervals(a, c);
        const expectEmpty = isEmptyInterval(a, compareBytes) || isEmptyInterval(c, compareBytes);
        if (both === undefined) {
          for (const v of values) expect(intervalContains(a, v, compareBytes) && intervalContains(c, v, compareBytes)).toBe(false);
        } else {
          expect(isEmptyInterval(both, compareBytes)).toBe(false);
          for (const v of values) {
            expect(intervalContains(both, v, compareBytes)).toBe(intervalContains(a, v, compareBytes) && intervalContains(c, v, compareBytes));
          }
        }
        if (expectEmpty) expect(both).toBeUndefined();
      }),
    );
  });

  it('keeps the exclusive bound where two bounds meet at one value', () => {
    const ab = intersectIntervals({ lower: incl(b('a')), upper: incl(b('m')) }, { lower: excl(b('a')), upper: excl(b('m')) });
    expect(ab).toStrictEqual({ lower: excl(b('a')), upper: excl(b('m')) });
    expect(intersectIntervals({ upper: excl(b('c')) }, { lower: incl(b('c')) })).toBeUndefined();
    expect(intersectIntervals({ upper: incl(b('c')) }, { lower: incl(b('c')) })).toStrictEqual({ lower: incl(b('c')), upper: incl(b('c')) });
    expect(intersectIntervals({}, {})).toStrictEqual({});
  });
});

const num = compareNumbers;
const iv = (lo?: [number, boolean], hi?: [number, boolean]): Interval<number> => ({
  ...(lo ? { lower: { value: lo[0], inclusive: lo[1] } } : {}),
  ...(hi ? { upper: { value: hi[0], inclusive: hi[1] } } : {}),
});

describe('normalizeIntervals on numbers', () => {
  it('sorts, merges overlapping and touching intervals, drops empty ones', () => {
    expect(normalizeIntervals([iv([5, true], [9, false]), iv([1, true], [3, true]), iv([3, false], [4, true])], num)).toEqual([
      iv([1, true], [4, true]),
      iv([5, true], [9, false]),
    ]);
    // [1,3) and (3,5] leave a hole at 3.
    expect(normalizeIntervals([iv([1, true], [3, false]), iv([3, false], [5, true])], num)).toHaveLength(2);
    expect(normalizeIntervals([iv([3, true], [3, false]), iv([4, true], [2, true])], num)).toEqual([]);
    expect(normalizeIntervals([iv(undefined, [2, true]), iv([1, true])], num)).toEqual([{}]);
  });

  it('membership agrees with the raw union for every point', () => {
    const raw = [iv([2, false], [6, true]), iv([8, true], [8, true]), iv([10, true])];
    const set = normalizeIntervals(raw, num);
    for (let x = 0; x < 14; x++) {
      const want = raw.some(
        (i) => (!i.lower || x > i.lower.value || (x === i.lower.value && i.lower.inclusive)) && (!i.upper || x < i.upper.value || (x === i.upper.value && i.upper.inclusive)),
      );
      expect(normalizedSetContains(set, x, num)).toBe(want);
    }
  });
});
