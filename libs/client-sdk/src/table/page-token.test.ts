import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken } from './page-token.js';

const PRED = "row >= 'a'";

describe('page tokens', () => {
  it('round-trip the server token and the row to locate, bytes included', () => {
    const locateRow = Buffer.from([0, 0xff, 0x61]);
    const token = encodePageToken(PRED, { serverResume: 'srv/token+=', locateRow });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodePageToken(token, PRED);
    expect(back.serverResume).toBe('srv/token+=');
    expect(Buffer.from(back.locateRow)).toEqual(locateRow);
  });

  it('refuse a token of another predicate', () => {
    const token = encodePageToken(PRED, { serverResume: 's', locateRow: Buffer.from('a') });
    expect(() => decodePageToken(token, "row >= 'b'")).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/another predicate/) }));
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['the wrong shape', Buffer.from('[1,2]').toString('base64url')],
    ['another version', Buffer.from('[2,"x","s","YQ"]').toString('base64url')],
    ['an empty server token', Buffer.from('[1,"x","","YQ"]').toString('base64url')],
  ])('refuse %s as INVALID_ARGUMENT naming resume', (_what, token) => {
    expect(() => decodePageToken(token, PRED)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'resume' }, message: expect.stringMatching(/^resume /) }),
    );
  });
});
