// Split rows go as text when they are UTF-8 and as base64 otherwise, and
// bad rows are refused before any request.

import { describe, expect, it } from 'vitest';
import { encodeSplitRows } from './split-rows.js';

describe('encodeSplitRows', () => {
  it('sends UTF-8 rows as text', () => {
    expect(encodeSplitRows(['m', 'zebra', Buffer.from('é')])).toEqual({ splits: ['m', 'zebra', 'é'], encoding: 'utf8' });
  });

  it('sends every row in base64 when one is not UTF-8', () => {
    expect(encodeSplitRows(['m', new Uint8Array([0xff, 0x00])])).toEqual({ splits: ['bQ==', '/wA='], encoding: 'base64' });
  });

  it('refuses an empty or repeated row, naming it', () => {
    expect(() => encodeSplitRows(['a', ''])).toThrow(/splits\[1\] is empty/);
    expect(() => encodeSplitRows(['a', 'b', Buffer.from('a')])).toThrow(/splits\[2\] repeats/);
  });
});
