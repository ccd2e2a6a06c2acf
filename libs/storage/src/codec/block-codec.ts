// The Codec port lives in @kdi/primitives (one interface for the fragment
// format and the wire); storage re-exports it for its codec registry.
export type { BlockCodec } from '@kdi/primitives';
