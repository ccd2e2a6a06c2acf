// Strict UTF-8 decoding of one character, used by the printer to decide
// whether a run of bytes may be shown as the character it encodes. "Strict"
// is what makes printing round-trip: a sequence is accepted only if encoding
// the decoded code point gives back exactly the same bytes, so overlong
// forms, UTF-16 surrogates (ED A0..BF ..) and code points above U+10FFFF are
// all rejected and the printer falls back to \xHH for them.

export interface DecodedChar {
  readonly codePoint: number;
  /** Number of bytes the character occupies (1..4). */
  readonly length: number;
}

/** Decodes the character starting at `bytes[at]`, or returns undefined if it is not valid UTF-8. */
export function decodeUtf8Char(bytes: Uint8Array, at: number): DecodedChar | undefined {
  const lead = bytes[at];
  if (lead === undefined) return undefined;
  if (lead < 0x80) return { codePoint: lead, length: 1 };

  let length: number;
  let codePoint: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    codePoint = lead & 0x1f;
    min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    codePoint = lead & 0x0f;
    min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    codePoint = lead & 0x07;
    min = 0x10000;
  } else {
    // 0x80..0xC1 (continuation bytes, overlong 2-byte leads) and 0xF5..0xFF.
    return undefined;
  }

  for (let i = 1; i < length; i++) {
    const next = bytes[at + i];
    if (next === undefined || (next & 0xc0) !== 0x80) return undefined;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  if (codePoint < min || codePoint > 0x10ffff) return undefined;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return undefined;
  return { codePoint, length };
}
