import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import { checkJsonUtf8, firstInvalidUtf8, jsonPathAt } from './json-utf8.js';

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('firstInvalidUtf8', () => {
  it.each<[string, Buffer, number]>([
    ['ASCII', bytes('abc'), -1],
    ['2, 3 and 4-byte forms', bytes('é€😀\u{10ffff}'), -1],
    ['ff fe', bytes('ab', [0xff, 0xfe]), 2],
    ['overlong NUL c0 80', bytes('a', [0xc0, 0x80]), 1],
    ['overlong e0 80 80', bytes([0xe0, 0x80, 0x80]), 0],
    ['overlong f0 80 80 80', bytes([0xf0, 0x80, 0x80, 0x80]), 0],
    ['surrogate ed a0 80', bytes('x', [0xed, 0xa0, 0x80]), 1],
    ['above U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80]), 0],
    ['stray continuation', bytes('ab', [0x80]), 2],
    ['truncated at the end', bytes('ab', [0xe2, 0x82]), 2],
    ['missing continuation', bytes([0xc3, 0x41]), 0],
  ])('%s', (_name, input, expected) => {
    expect(firstInvalidUtf8(input)).toBe(expected);
    // Agrees with the platform's strict decoder on whether the bytes are UTF-8.
    let strictOk = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      strictOk = false;
    }
    expect(firstInvalidUtf8(input) === -1).toBe(strictOk);
  });
});

describe('jsonPathAt', () => {
  const at = (text: string, marker = '\u0001') => {
    const b = Buffer.from(text.replace(marker, '\u0001'), 'utf8');
    return jsonPathAt(b, b.indexOf(0x01));
  };
  it('names nested fields and array indexes', () => {
    expect(at('{"cells":[{"row":"a"},{"row":"b","value":"x\u0001"}]}').path).toBe('body.cells[1].value');
    expect(at('{"a":{"b c":[1,2,["\u0001"]]}}').path).toBe('body.a["b c"][2][0]');
    expect(at('{"k\\"q":"\u0001"}').path).toBe('body["k\\"q"]');
    expect(at('{"cells":[],"predicate":"row = \'\u0001\'"}').path).toBe('body.predicate');
    expect(at('{"x\u0001":1}')).toEqual({ path: 'body', inKey: true });
  });
});

describe('checkJsonUtf8', () => {
  it('passes well-formed UTF-8 and names the field of the first bad byte', () => {
    expect(() => checkJsonUtf8(bytes('{"row":"é"}'))).not.toThrow();
    let error: unknown;
    try {
      checkJsonUtf8(bytes('{"cells":[{"row":"ok"},{"row":"a', [0xff, 0xfe], '"}]}'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KdiError);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^body\.cells\[1\]\.row: invalid UTF-8 at byte 32 of the body \(ff fe 22 7d\).*"encoding":"base64"/),
      details: { field: 'body.cells[1].row', byteOffset: 32 },
    });
  });
});
