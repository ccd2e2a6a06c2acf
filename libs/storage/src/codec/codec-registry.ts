// Codec ids found in block trailers, mapped to codecs. Id 0 is
// "uncompressed" and never a codec object.
import { UNCOMPRESSED_CODEC_ID, type BlockCodec } from '@kdi/primitives';
import { lz4Codec } from './lz4-codec.js';

export { UNCOMPRESSED_CODEC_ID };

export const builtinCodecs: readonly BlockCodec[] = [lz4Codec];

/** The codec for `id` among `extra` then the built-in ones; undefined if unknown (or 0). */
export function codecById(id: number, extra?: readonly BlockCodec[]): BlockCodec | undefined {
  if (extra) for (const c of extra) if (c.id === id) return c;
  for (const c of builtinCodecs) if (c.id === id) return c;
  return undefined;
}
