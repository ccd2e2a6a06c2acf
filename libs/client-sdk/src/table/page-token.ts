// The resume token of a routed scan page (Table.scanPage; the master's
// gateway hands it to curl and generated clients): everything a ScanCursor
// needs to ask for the next page of a scan over the whole table, so the
// caller (or a gateway) keeps no state between pages and any gateway can
// continue a scan another one began.
//
// Layout: base64url (RFC 4648 §5, no padding) of the JSON array
//
//   [1, predicateDigest, serverResume, locateRow]
//
//   1               the format version; another is refused
//   predicateDigest base64url of the first 12 bytes of SHA-256 of the
//                   predicate's canonical text: a token is accepted only
//                   with the predicate of the scan's first page
//   serverResume    the tablet server's stateless resume token (opaque
//                   here; any server now serving the range accepts it)
//   locateRow       base64url of the row whose tablet's server gets the
//                   next page (ScanCursor.locateRow)
//
// Promises: decodePageToken(encodePageToken(x)) == x; anything else —
// not base64url, not the JSON above, another version, another predicate —
// is INVALID_ARGUMENT saying which, with details.field "resume". The
// token is not signed: a forged one can only name a row to resume at,
// which the server checks against its own resume token.

import { createHash } from 'node:crypto';
import { KdiError } from '@kdi/protocol';

export const PAGE_TOKEN_VERSION = 1;

export interface PageToken {
  /** The tablet server's resume token. */
  readonly serverResume: string;
  /** The row whose tablet's server gets the next page. */
  readonly locateRow: Uint8Array;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The digest a token carries for `canonicalPredicate` (printPredicate's text). */
export function predicateDigest(canonicalPredicate: string): string {
  return createHash('sha256').update(canonicalPredicate, 'utf8').digest().subarray(0, 12).toString('base64url');
}

export function encodePageToken(canonicalPredicate: string, t: PageToken): string {
  const json = JSON.stringify([PAGE_TOKEN_VERSION, predicateDigest(canonicalPredicate), t.serverResume, Buffer.from(t.locateRow).toString('base64url')]);
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** The token's cursor state, once it is known to belong to a scan of `canonicalPredicate`. */
export function decodePageToken(token: string, canonicalPredicate: string): PageToken {
  if (!BASE64URL.test(token)) throw malformed('it is not base64url text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw malformed('its content is not the token format');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw malformed('its content is not the token format');
  const [version, digest, serverResume, locateRow] = parsed as unknown[];
  if (version !== PAGE_TOKEN_VERSION) throw malformed(`its format version ${JSON.stringify(version)} is not ${PAGE_TOKEN_VERSION}`);
  if (typeof digest !== 'string' || typeof serverResume !== 'string' || serverResume === '' || typeof locateRow !== 'string' || !/^[A-Za-z0-9_-]*$/.test(locateRow)) {
    throw malformed('its content is not the token format');
  }
  if (digest !== predicateDigest(canonicalPredicate)) {
    throw new KdiError('INVALID_ARGUMENT', 'resume belongs to a scan with another predicate: send the predicate of the first page with it (or start again without resume)', {
      details: { field: 'resume' },
    });
  }
  return { serverResume, locateRow: Buffer.from(locateRow, 'base64url') };
}

function malformed(why: string): KdiError {
  return new KdiError('INVALID_ARGUMENT', `resume is not a resume token of a table scan (${why}): pass back the resume of the previous page unchanged`, {
    details: { field: 'resume' },
  });
}
