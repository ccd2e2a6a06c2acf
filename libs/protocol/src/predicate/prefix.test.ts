import { describe, expect, it } from 'vitest';
import { prefixSuccessor } from './prefix.js';

const raw = (...bytes: number[]) => Buffer.from(bytes);

describe('prefixSuccessor', () => {
  it('increments the last byte', () => {
    expect(prefixSuccessor(Buffer.from('com.foo'))).toStrictEqual(Buffer.from('com.fop'));
    expect(prefixSuccessor(raw(0x00))).toStrictEqual(raw(0x01));
    expect(prefixSuccessor(raw(0x61, 0xfe))).toStrictEqual(raw(0x61, 0xff));
  });

  it('strips trailing 0xFF bytes first', () => {
    expect(prefixSuccessor(raw(0x61, 0xff, 0xff))).toStrictEqual(raw(0x62));
    expect(prefixSuccessor(raw(0xff, 0x00, 0xff))).toStrictEqual(raw(0xff, 0x01));
  });

  it('has no successor for the empty or all-0xFF prefix', () => {
    expect(prefixSuccessor(raw())).toBeUndefined();
    expect(prefixSuccessor(raw(0xff))).toBeUndefined();
    expect(prefixSuccessor(raw(0xff, 0xff, 0xff))).toBeUndefined();
  });

  it('does not modify or alias its argument', () => {
    const prefix = raw(0x61, 0x62);
    const successor = prefixSuccessor(prefix);
    expect(prefix).toStrictEqual(raw(0x61, 0x62));
    successor?.fill(0);
    expect(prefix).toStrictEqual(raw(0x61, 0x62));
  });

  it('bounds exactly the strings that start with the prefix', () => {
    const prefix = raw(0x61, 0xff);
    const upper = prefixSuccessor(prefix);
    expect(upper).toStrictEqual(raw(0x62));
    const inside = [raw(0x61, 0xff), raw(0x61, 0xff, 0x00), raw(0x61, 0xff, 0xff, 0xff)];
    const outside = [raw(0x61, 0xfe, 0xff), raw(0x62), raw(0x62, 0x00)];
    for (const s of inside) expect(Buffer.compare(s, prefix) >= 0 && Buffer.compare(s, upper ?? raw()) < 0).toBe(true);
    for (const s of outside) expect(Buffer.compare(s, prefix) >= 0 && Buffer.compare(s, upper ?? raw()) < 0).toBe(false);
  });
});
