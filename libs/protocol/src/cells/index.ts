// The cell model is @kdi/primitives'; re-exported because it is the unit of
// every cell codec here.
export { compareBytes, compareCellKeys, type Cell } from '@kdi/primitives';
export { cellBytes, DEFAULT_LIMITS, NO_LIMITS, validateCell, validateCells, type CellLimits } from './limits.js';
export {
  CellEncodingSchema,
  JsonCellSchema,
  JsonCellsSchema,
  JsonEraseCellSchema,
  JsonSetCellSchema,
  type CellEncoding,
  type JsonCell,
  type JsonEraseCell,
  type JsonSetCell,
} from './json-schema.js';
export { decodeBase64, decodeJsonCells, encodeJsonCells, needsBase64 } from './json-codec.js';
export { allUtf8, decodeWireBytes, encodeWireBytes, rowDetails } from './wire-bytes.js';
export { CELL_BLOCK_MIME_TYPE, decodeCellBlock, encodeCellBlock, type Crc32cFunction, type DecodeCellBlockOptions, type EncodeCellBlockOptions } from './binary-codec.js';
