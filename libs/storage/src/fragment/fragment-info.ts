// A fragment's totals: returned by FragmentWriter.finish() and kept by
// FragmentReader.info (read back from the footer and index).

/** What a finished fragment holds; FragmentReader.info reports the same. */
export interface FragmentInfo {
  readonly path: string;
  readonly fileBytes: number;
  readonly cellCount: number;
  /** Distinct rows. */
  readonly rowCount: number;
  /** Uncompressed bytes of the data blocks (the encoded cells). */
  readonly rawBytes: number;
  readonly blockCount: number;
  readonly minTimestamp: number;
  readonly maxTimestamp: number;
  readonly firstRow: Uint8Array;
  readonly lastRow: Uint8Array;
}
