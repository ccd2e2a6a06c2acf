import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

describe('crc32c', () => {
  it('matches the published check values (RFC 3720 B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    const ascending = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) ascending[i] = i;
    expect(crc32c(ascending)).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('continues across pieces and respects start/end (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cutSeed) => {
        const cut = data.length === 0 ? 0 : cutSeed % (data.length + 1);
        expect(crc32c(data, crc32c(data, 0, 0, cut), cut)).toBe(crc32c(data));
        expect(crc32c(data.subarray(cut))).toBe(crc32c(data, 0, cut));
      }),
    );
  });
});
