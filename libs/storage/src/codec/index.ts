export type { BlockCodec } from './block-codec.js';
export { LZ4_CODEC_ID, lz4Codec } from './lz4-codec.js';
export { UNCOMPRESSED_CODEC_ID, builtinCodecs, codecById } from './codec-registry.js';
