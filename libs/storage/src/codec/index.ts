export type { BlockCodec } from './block-codec.js';
export { createLz4Codec, LZ4_CODEC_ID, lz4Codec, type Lz4Binding } from './lz4-codec.js';
export { UNCOMPRESSED_CODEC_ID, builtinCodecs, codecById } from './codec-registry.js';
