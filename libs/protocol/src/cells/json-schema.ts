// The JSON form of cells (DESIGN §2), as zod schemas for route definitions
// and OpenAPI:
//
//   {"row": "...", "column": "...", "timestamp": 1700000000000000, "value": "..."}
//   {"row": "...", "column": "...", "timestamp": 1700000000000000, "erase": true}
//
// row, column and value are UTF-8 text, or standard padded base64 when the
// request or response says "encoding": "base64". Unknown fields are rejected.

import { z } from 'zod';

export const CellEncodingSchema = z.enum(['utf8', 'base64']).describe('How row, column and value are written: UTF-8 text (default) or standard padded base64 (RFC 4648 §4).');

export type CellEncoding = z.infer<typeof CellEncodingSchema>;

const rowSchema = z.string().describe('Row key: UTF-8 text, or base64 bytes with encoding "base64".');
const columnSchema = z.string().describe('Column "family:qualifier": UTF-8 text, or base64 bytes with encoding "base64".');
const timestampSchema = z.int().describe('Microseconds since the epoch by convention; a safe integer (±(2^53-1)).');
const valueSchema = z.string().describe('Cell value: UTF-8 text, or base64 bytes with encoding "base64".');

export const JsonSetCellSchema = z
  .strictObject({ row: rowSchema, column: columnSchema, timestamp: timestampSchema, value: valueSchema })
  .describe('A cell: sets (row, column, timestamp) to value.');

export const JsonEraseCellSchema = z
  .strictObject({
    row: rowSchema,
    column: columnSchema,
    timestamp: timestampSchema,
    erase: z.literal(true).describe('Marks an erasure of exactly (row, column, timestamp).'),
  })
  .describe('An erasure: hides exactly (row, column, timestamp).');

export const JsonCellSchema = z.union([JsonSetCellSchema, JsonEraseCellSchema]);

export const JsonCellsSchema = z.array(JsonCellSchema);

export type JsonSetCell = z.infer<typeof JsonSetCellSchema>;
export type JsonEraseCell = z.infer<typeof JsonEraseCellSchema>;
export type JsonCell = z.infer<typeof JsonCellSchema>;

/**
 * One object with both value and erase optional: decodeJsonCells parses
 * with it so that a bad combination gets a precise message (a union's
 * failure only says that neither branch matched). It accepts exactly what
 * JsonCellSchema accepts once the value/erase combination is checked.
 */
export const JsonCellInputSchema = z.strictObject({
  row: z.string(),
  column: z.string(),
  timestamp: z.int(),
  value: z.string().optional(),
  erase: z.literal(true).optional(),
});

export const JsonCellsInputSchema = z.array(JsonCellInputSchema);
