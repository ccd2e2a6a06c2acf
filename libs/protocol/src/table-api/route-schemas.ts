// Schema pieces every tablet-server route shares (and the OpenAPI document
// shows): the error responses, "no content", strict query numbers and
// booleans, and the table / tablet path params.

import { ErrorBodySchema } from '../errors/index.js';
import { NAME_PATTERN, NAME_RULE } from '../schema/names.js';
import { z } from 'zod';

/** Every route may answer with the protocol's error body. */
export const ERROR_RESPONSES = {
  '4xx': ErrorBodySchema.describe('The request was refused; see error.code and error.message.'),
  '5xx': ErrorBodySchema.describe('The server or its storage failed; see error.code.'),
} as const;

export const NO_CONTENT = z.null().describe('No content');

/** Routes without query parameters refuse any (unknown fields are rejected everywhere). */
export const NO_QUERY = z.strictObject({});

// One path segment on disk: never '.' or '..' (DESIGN §14).
const NAME_MESSAGE = `must be ${NAME_RULE}`;

export const TableNameSchema = z.string().regex(NAME_PATTERN, NAME_MESSAGE).describe(`Table name: ${NAME_RULE}`);
export const TabletIdSchema = z.string().regex(NAME_PATTERN, NAME_MESSAGE).describe(`Tablet id: ${NAME_RULE}`);

export const TableParamsSchema = z.strictObject({ table: TableNameSchema });
export const TabletParamsSchema = z.strictObject({ tabletId: TabletIdSchema });

/**
 * A whole number in a query string. Unlike z.coerce.number(), an empty or
 * padded value ("", " 5") is refused rather than read as 0 or 5.
 */
export const QueryIntSchema = z
  .string()
  .regex(/^[0-9]{1,16}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

/**
 * A positive whole number in a query string (page sizes). The pattern
 * refuses 0 itself, so the OpenAPI document (which publishes query numbers
 * as integers, read off the pattern) can say minimum 1.
 */
export const QueryPositiveIntSchema = z
  .string()
  .regex(/^(?!0+$)[0-9]{1,16}$/, 'must be a whole number, at least 1')
  .transform(Number)
  .pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));

/** `true` or `false` in a query string, nothing else. */
export const QueryBoolSchema = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
