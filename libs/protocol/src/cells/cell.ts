// The cell model of DESIGN §2 as it crosses the wire. Rows, columns and
// values are bytes (Uint8Array; Buffers at run time); a cell whose value is
// null is an erasure of exactly that (row, column, timestamp).

export interface Cell {
  readonly row: Uint8Array;
  readonly column: Uint8Array;
  /** Safe integer, microseconds since the epoch by convention. */
  readonly timestamp: number;
  /** null marks an erasure. */
  readonly value: Uint8Array | null;
}
