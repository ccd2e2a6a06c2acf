import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

describe('crc32c', () => {
  it('matches the published check values', () => {
    // RFC 3720 B.4 and the standard "123456789" check value.
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = new Uint8Array(32).map((_, i) => i);
    expect(crc32c(inc)).toBe(0x46dd794e);
  });

  it('continues across chunks and honours start/end', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data, crc32c(data, 0, 0, cut), cut)).toBe(whole);
    }
    expect(crc32c(data, 0, 4, 9)).toBe(crc32c(data.subarray(4, 9)));
  });
});
