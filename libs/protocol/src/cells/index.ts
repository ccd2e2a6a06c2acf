export type { Cell } from './cell.js';
export { compareBytes, compareCellKeys } from './cell-order.js';
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
export {
  CELL_BLOCK_MIME_TYPE,
  decodeCellBlock,
  encodeCellBlock,
  type DecodeCellBlockOptions,
  type EncodeCellBlockOptions,
} from './binary-codec.js';
export { lz4CompressBlock, lz4CompressBound, lz4DecompressBlock } from './lz4-block.js';
