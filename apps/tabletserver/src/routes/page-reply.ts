// A scan page as the reply the client asked for: a binary cell block with
// the page's facts in x-kdi-* headers when Accept prefers it, else JSON in
// the requested encoding — switched to base64 (and saying so) when some
// bytes are not UTF-8, since JSON text cannot carry them.

import { isUtf8 } from 'node:buffer';
import { CELL_BLOCK_MIME_TYPE, encodeCellBlock, encodeJsonCells, needsBase64, type CellEncoding, type JsonCell } from '@kdi/protocol';
import { blockCrc32c } from '@kdi/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { encodeWireBytes } from '../api/wire-bytes.js';
import { END_HEADER, NEXT_ROW_HEADER, prefersCellBlock, RESUME_HEADER, SCAN_TXN_HEADER } from '../http/cell-content.js';
import type { ScanResult } from '../scan/scan-service.js';

export interface JsonScanReply {
  cells: JsonCell[];
  encoding: CellEncoding;
  scanTxn: number;
  end: boolean;
  resume?: string;
  nextRow?: string;
}

/** Sends `page`; returns the reply (binary) or the JSON object for Fastify to serialize. */
export function replyWithPage(request: FastifyRequest, reply: FastifyReply, page: ScanResult, requested: CellEncoding): FastifyReply | JsonScanReply {
  if (prefersCellBlock(request.headers.accept)) {
    reply.header(SCAN_TXN_HEADER, String(page.scanTxn));
    reply.header(END_HEADER, String(page.end));
    if (page.resume !== undefined) reply.header(RESUME_HEADER, page.resume);
    if (page.nextRow !== undefined) reply.header(NEXT_ROW_HEADER, encodeWireBytes(page.nextRow, 'base64'));
    // The block is a Buffer already (a view of it, not Buffer.from's copy); its CRC by the hardware where it can.
    const block = encodeCellBlock(page.cells, { crc32c: blockCrc32c });
    return reply.type(CELL_BLOCK_MIME_TYPE).send(Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength));
  }
  const encoding: CellEncoding = requested === 'utf8' && (needsBase64(page.cells) || (page.nextRow !== undefined && !isUtf8(page.nextRow))) ? 'base64' : requested;
  return {
    cells: encodeJsonCells(page.cells, encoding),
    encoding,
    scanTxn: page.scanTxn,
    end: page.end,
    ...(page.resume !== undefined && { resume: page.resume }),
    ...(page.nextRow !== undefined && { nextRow: encodeWireBytes(page.nextRow, encoding) }),
  };
}
