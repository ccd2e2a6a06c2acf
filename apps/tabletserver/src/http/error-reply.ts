// The tablet server's part of the chassis' one error mapping (service-kit
// error-reply.ts: KdiError → its code; Fastify's errors → INVALID_ARGUMENT
// or the code for their status; anything else → INTERNAL, hidden):
//  - StorageError (engine)                       → tablets/storage-errors.ts
//  - WRONG_TABLET naming a row, in a cluster     → with details.locationHint
//    (location-hint.ts)
//  - the wording of body limits (JSON and cell blocks) and of the
//    Content-Types it takes
//  - a binary scan's page headers are dropped from an error reply.

import { CELL_BLOCK_MIME_TYPE } from '@kdi/protocol';
import type { ErrorReplyOptions } from '@kdi/service-kit';
import { isStorageError } from '@kdi/storage';
import { fromStorageError } from '../tablets/storage-errors.js';
import type { TabletServer } from '../tablets/tablet-server.js';
import { END_HEADER, RESUME_HEADER, SCAN_TXN_HEADER } from './cell-content.js';
import { withLocationHint } from './location-hint.js';

export interface BodyLimits {
  /** The JSON body limit. */
  readonly bodyLimit: number;
  /** The binary cell block body limit. */
  readonly cellBlockLimit: number;
  readonly maxRequestBytes: number;
}

export function tabletErrorOptions(limits: BodyLimits, server: TabletServer): ErrorReplyOptions {
  return {
    classify: (error) => withLocationHint(isStorageError(error) ? fromStorageError(error) : error, server),
    clearHeaders: [SCAN_TXN_HEADER, RESUME_HEADER, END_HEADER],
    texts: {
      bodyTooLarge: {
        message:
          `the request body is larger than the limit (${limits.bodyLimit} bytes for JSON, ${limits.cellBlockLimit} for ${CELL_BLOCK_MIME_TYPE}); ` +
          `one request may carry at most ${limits.maxRequestBytes} bytes of cells: split the batch`,
        details: { bodyLimit: limits.bodyLimit, cellBlockLimit: limits.cellBlockLimit, maxRequestBytes: limits.maxRequestBytes },
      },
      emptyJsonBody: 'the body is empty but Content-Type is application/json; send a JSON object (at least {})',
      invalidMediaType: {
        message: `unsupported Content-Type; send application/json (or, for apply, ${CELL_BLOCK_MIME_TYPE})`,
        details: { field: 'content-type' },
      },
    },
  };
}
