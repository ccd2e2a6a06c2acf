// LZ4 *block* format (github.com/lz4/lz4 doc/lz4_Block_format.md), in pure
// TypeScript; interoperates with the reference library both ways.
//
// A block is a series of sequences:
//
//   token        1 byte   high nibble: literal length L (15 = more follows)
//                         low nibble:  match length M - 4 (15 = more follows)
//   [L ext]      0+ bytes when L = 15: add each byte; a byte of 255 means
//                         another follows
//   literals     L bytes  copied to the output
//   offset       2 bytes  little-endian, 1..65535: the match starts this far
//                         back in the output (may overlap what it writes)
//   [M ext]      0+ bytes like L ext
//
// The last sequence stops after its literals (no offset, no match). The
// compressor also keeps the reference end rules (the last 5 bytes are
// literals; no match starts in the last 12 bytes), so strict decoders accept
// its output. The decoder accepts any block that decodes to exactly the
// expected size without leaving its bounds; it never reads or writes out of
// bounds and throws Lz4FormatError naming the input byte at fault.
//
// The uncompressed size is not stored in a block; the caller carries it.

/** A block that is not valid LZ4 or does not decode to the expected size. */
export class Lz4FormatError extends Error {
  override readonly name = 'Lz4FormatError';
  constructor(
    message: string,
    /** The compressed byte at fault. */
    readonly compressedOffset: number,
  ) {
    super(message);
  }
}

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_DISTANCE = 65535;
/** 4096 entries, the reference library's default (LZ4_MEMORY_USAGE 14). */
const HASH_LOG = 12;
/** After 2^SKIP_TRIGGER misses the search step grows, as in the reference. */
const SKIP_TRIGGER = 6;
/** Below this many bytes a plain loop beats TypedArray.set/copyWithin. */
const SHORT_COPY = 32;
/** A sequence cannot expand to more than this many output bytes per input byte. */
const MAX_EXPANSION = 255;

/** The largest compressed size of n input bytes (reference LZ4_compressBound). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/** Compresses `src` into a new block (fast greedy matcher, like LZ4_compress_default). */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const dst = Buffer.allocUnsafe(lz4CompressBound(src.length));
  const end = lz4CompressBlockInto(src, dst, 0);
  return dst.subarray(0, end);
}

/**
 * Compresses `src` into `dst` from `dstPos`; returns the end position.
 * `dst` must have lz4CompressBound(src.length) bytes free from `dstPos`.
 */
export function lz4CompressBlockInto(src: Uint8Array, dst: Uint8Array, dstPos: number): number {
  const n = src.length;
  if (dst.length - dstPos < lz4CompressBound(n)) throw new RangeError('lz4CompressBlockInto: destination too small');
  let op = dstPos;
  let anchor = 0;

  if (n >= MF_LIMIT + 1) {
    const table = new Int32Array(1 << HASH_LOG);
    const mfLimitPlusOne = n - MF_LIMIT + 1;
    const matchLimit = n - LAST_LITERALS;

    table[hash4(src, 0)] = 0;
    let ip = 1;
    let forwardH = hash4(src, ip);

    search: for (;;) {
      // Find a 4-byte match, stepping faster through incompressible data.
      let forwardIp = ip;
      let step = 1;
      let searchMatchNb = 1 << SKIP_TRIGGER;
      let ref: number;
      do {
        const h = forwardH;
        ip = forwardIp;
        forwardIp += step;
        step = searchMatchNb++ >> SKIP_TRIGGER;
        if (forwardIp > mfLimitPlusOne) break search;
        ref = table[h]!;
        forwardH = hash4(src, forwardIp);
        table[h] = ip;
      } while (ref + MAX_DISTANCE < ip || !equal4(src, ref, ip));

      // Extend the match backwards over literals not yet emitted.
      while (ip > anchor && ref > 0 && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }

      let tokenPos = op++;
      op = writeLiterals(src, anchor, ip, dst, tokenPos, op);

      for (;;) {
        const offset = ip - ref;
        dst[op++] = offset & 0xff;
        dst[op++] = offset >>> 8;

        ip += MIN_MATCH;
        ref += MIN_MATCH;
        const matchStart = ip;
        while (ip < matchLimit && src[ip] === src[ref]) {
          ip++;
          ref++;
        }
        let extra = ip - matchStart;
        if (extra >= 15) {
          dst[tokenPos]! |= 15;
          extra -= 15;
          while (extra >= 255) {
            dst[op++] = 255;
            extra -= 255;
          }
          dst[op++] = extra;
        } else {
          dst[tokenPos]! |= extra;
        }
        anchor = ip;
        if (ip >= mfLimitPlusOne) break search;

        table[hash4(src, ip - 2)] = ip - 2;
        // An immediate follow-up match needs no literals.
        const h = hash4(src, ip);
        ref = table[h]!;
        table[h] = ip;
        if (ref + MAX_DISTANCE >= ip && equal4(src, ref, ip)) {
          tokenPos = op++;
          dst[tokenPos] = 0;
          continue;
        }
        forwardH = hash4(src, ++ip);
        break;
      }
    }
  }

  const tokenPos = op++;
  return writeLiterals(src, anchor, n, dst, tokenPos, op);
}

/** Hash of the 4 bytes at p (Knuth's multiplicative hash, as in the reference). */
function hash4(src: Uint8Array, p: number): number {
  return Math.imul(src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24), -1640531535) >>> (32 - HASH_LOG);
}

function equal4(src: Uint8Array, a: number, b: number): boolean {
  return src[a] === src[b] && src[a + 1] === src[b + 1] && src[a + 2] === src[b + 2] && src[a + 3] === src[b + 3];
}

/** Sets the literal-length nibble of dst[tokenPos], writes its extension and the literals. */
function writeLiterals(src: Uint8Array, from: number, to: number, dst: Uint8Array, tokenPos: number, op: number): number {
  const length = to - from;
  if (length >= 15) {
    dst[tokenPos] = 15 << 4;
    let rest = length - 15;
    while (rest >= 255) {
      dst[op++] = 255;
      rest -= 255;
    }
    dst[op++] = rest;
  } else {
    dst[tokenPos] = length << 4;
  }
  if (length <= SHORT_COPY) {
    for (let i = from; i < to; i++) dst[op++] = src[i]!;
    return op;
  }
  dst.set(src.subarray(from, to), op);
  return op + length;
}

/**
 * Decompresses a block that must expand to exactly `uncompressedSize`
 * bytes. Safe on hostile input: every length and offset is checked before
 * use, and a size no block of this length could reach is refused before
 * anything is allocated.
 */
export function lz4DecompressBlock(src: Uint8Array, uncompressedSize: number): Uint8Array {
  const srcLen = src.length;
  if (!Number.isSafeInteger(uncompressedSize) || uncompressedSize < 0) {
    throw malformed(`the uncompressed size ${uncompressedSize} is not a non-negative integer`, 0);
  }
  if (srcLen === 0) throw malformed('the block is empty (even empty data compresses to one byte)', 0);
  if (uncompressedSize > srcLen * MAX_EXPANSION) {
    throw malformed(`${srcLen} bytes cannot expand to the ${uncompressedSize} bytes expected`, 0);
  }
  const out = Buffer.allocUnsafe(uncompressedSize);
  let ip = 0;
  let op = 0;

  for (;;) {
    const tokenAt = ip;
    const token = src[ip++]!;

    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= srcLen) throw malformed('the literal length runs past the end of the block', tokenAt);
        b = src[ip++]!;
        litLen += b;
      } while (b === 255);
    }
    if (litLen > srcLen - ip) {
      throw malformed(`${litLen} literals run past the end of the block (${srcLen - ip} bytes left)`, tokenAt);
    }
    if (litLen > uncompressedSize - op) {
      throw malformed(`${litLen} literals overflow the expected size ${uncompressedSize} at output byte ${op}`, tokenAt);
    }
    if (litLen <= SHORT_COPY) {
      for (let end = ip + litLen; ip < end;) out[op++] = src[ip++]!;
    } else {
      out.set(src.subarray(ip, ip + litLen), op);
      ip += litLen;
      op += litLen;
    }

    if (ip === srcLen) break;

    if (srcLen - ip < 2) throw malformed('the block ends inside a match offset', ip);
    const offset = src[ip]! | (src[ip + 1]! << 8);
    if (offset === 0) throw malformed('match offset 0', ip);
    if (offset > op) throw malformed(`match offset ${offset} reaches before the start of the output (output byte ${op})`, ip);
    ip += 2;

    let matchLen = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= srcLen) throw malformed('the match length runs past the end of the block', tokenAt);
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (matchLen > uncompressedSize - op) {
      throw malformed(`a ${matchLen}-byte match overflows the expected size ${uncompressedSize} at output byte ${op}`, tokenAt);
    }

    let from = op - offset;
    const end = op + matchLen;
    if (matchLen <= SHORT_COPY) {
      while (op < end) out[op++] = out[from++]!;
    } else if (offset >= matchLen) {
      out.copyWithin(op, from, from + matchLen);
      op = end;
    } else {
      // Overlapping match: the pattern repeats every `offset` bytes, so
      // copy it in doubling chunks, each a whole number of periods.
      while (op < end) {
        const chunk = Math.min(op - from, end - op);
        out.copyWithin(op, from, from + chunk);
        op += chunk;
      }
    }
  }

  if (op !== uncompressedSize) {
    throw malformed(`the block decodes to ${op} bytes; ${uncompressedSize} were expected`, srcLen);
  }
  return out;
}

function malformed(what: string, inputByte: number): Lz4FormatError {
  return new Lz4FormatError(`malformed LZ4 block: ${what} (at compressed byte ${inputByte})`, inputByte);
}
