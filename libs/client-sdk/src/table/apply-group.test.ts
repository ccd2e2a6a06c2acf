import { describe, expect, it } from 'vitest';
import { applyGroupKey } from './apply-group.js';

describe('applyGroupKey', () => {
  it('keeps tablets, servers and sync modes apart, and one tablet together', () => {
    const url = 'http://127.0.0.1:7201';
    const m = Buffer.from('m');
    expect(applyGroupKey(true, url, m)).toBe(applyGroupKey(true, url, Buffer.from('m')));
    const keys = [
      applyGroupKey(true, url, undefined), // the first tablet of a table (open lower bound)
      applyGroupKey(true, url, Buffer.alloc(0)),
      applyGroupKey(true, url, m),
      applyGroupKey(true, url, Buffer.from([0x6d, 0x00])),
      applyGroupKey(false, url, m),
      applyGroupKey(true, 'http://127.0.0.1:7202', m),
    ];
    expect(new Set(keys).size).toBe(keys.length - 1); // an empty bound and an open one both mean "from the first row"
    expect(keys[0]).toBe(keys[1]);
  });
});
