// Byte strings (rows, bounds, predicate literals) as JSON strings, in the
// request's encoding (DESIGN §2): protocol's, shared with the master and
// its gateway.

export { allUtf8, decodeWireBytes, encodeWireBytes, rowDetails } from '@kdi/protocol';
