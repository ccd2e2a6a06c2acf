// The Codec port: block compression behind one interface so the native
// `lz4` binding can be swapped (lz4-napi, a pure-JS codec) without touching
// the fragment format. A codec is named in each block's header byte.

export interface BlockCodec {
  /** Stable id stored in block headers; 0 is reserved for "uncompressed". */
  readonly id: number;
  readonly name: string;
  /** Returns the compressed bytes, or null when compression would not save space. */
  compress(data: Uint8Array): Uint8Array | null;
  /** Inverse of compress; `size` is the original length. Throws on malformed input. */
  decompress(data: Uint8Array, size: number): Uint8Array;
}
