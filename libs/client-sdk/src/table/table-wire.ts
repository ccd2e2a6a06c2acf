// One Table API request to one tablet server (DESIGN §4), in the SDK's
// encoding: cells travel as binary cell blocks (application/x-kdi-cells)
// both ways; the small JSON replies are validated with protocol's schemas,
// so a reply that breaks the contract is an INTERNAL error naming the field
// rather than a wrong value further on.

import {
  ApplyReplySchema,
  CELL_BLOCK_MIME_TYPE,
  decodeCellBlock,
  encodeCellBlock,
  END_HEADER,
  KdiError,
  MetaLocationReplySchema,
  NEXT_ROW_HEADER,
  NO_LIMITS,
  RESUME_HEADER,
  SCAN_TXN_HEADER,
  StatReplySchema,
  SyncReplySchema,
  type Cell,
  type TabletLocation,
} from '@kdi/protocol';
import { headerValue, type ServerPools, type ServerReply } from './server-pools.js';

export interface ReplySchema<T> {
  safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** The reply's JSON body validated with `schema`; a body that breaks the contract is INTERNAL, naming the field. */
export function parseReply<T>(reply: ServerReply, schema: ReplySchema<T>, what: string, contract = 'Table API'): T {
  let json: unknown;
  try {
    json = JSON.parse(reply.body.toString('utf8'));
  } catch {
    throw new KdiError('INTERNAL', `${what} answered ${reply.status} with a body that is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new KdiError(
    'INTERNAL',
    `${what} answered with a body that breaks the ${contract} contract: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`,
  );
}

const tablePath = (table: string, op: string) => `/v1/tables/${encodeURIComponent(table)}/${op}`;
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export interface ApplyOptions {
  /** Row transaction: ABORTED, nothing applied, if a touched row changed after this txn (a scanTxn of the same server). */
  readonly commitMaxTxn?: number | undefined;
  /** Reply once the batch is durable (default true). */
  readonly waitForSync?: boolean | undefined;
}

const APPLY_HEADERS = { 'content-type': CELL_BLOCK_MIME_TYPE, accept: 'application/json' };

/** Applies `cells` (sorted, unique keys) at one server; its commitTxn. */
export async function applyAt(pools: ServerPools, url: string, table: string, cells: readonly Cell[], o: ApplyOptions, signal: AbortSignal): Promise<number> {
  let q = '';
  if (o.commitMaxTxn !== undefined) q = `?commitMaxTxn=${encodeURIComponent(o.commitMaxTxn)}`;
  if (o.waitForSync === false) q += `${q === '' ? '?' : '&'}waitForSync=false`;
  const reply = await pools.request(url, { method: 'POST', path: tablePath(table, 'apply') + q, headers: APPLY_HEADERS, body: encodeCellBlock(cells), signal });
  return applyReplyTxn(reply, `apply at ${url}`);
}

/** The commitTxn of an apply reply: a hand check of the common {"commitTxn":n}; anything else goes through the schema (and its error). */
function applyReplyTxn(reply: ServerReply, what: string): number {
  let json: unknown;
  try {
    json = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return parseReply(reply, ApplyReplySchema, what).commitTxn;
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const txn = (json as { commitTxn?: unknown }).commitTxn;
    if (Object.keys(json).length === 1 && Number.isSafeInteger(txn) && (txn as number) >= 0) return txn as number;
  }
  return parseReply(reply, ApplyReplySchema, what).commitTxn;
}

export async function syncAt(pools: ServerPools, url: string, table: string, atLeastTxn: number, signal: AbortSignal): Promise<number> {
  const reply = await pools.request(url, { method: 'POST', path: tablePath(table, 'sync'), headers: JSON_HEADERS, body: JSON.stringify({ atLeastTxn }), signal });
  return parseReply(reply, SyncReplySchema, `sync at ${url}`).syncTxn;
}

export interface ScanPageRequest {
  /** The predicate's canonical text. */
  readonly predicate: string;
  readonly resume?: string | undefined;
  readonly maxCells?: number | undefined;
  readonly maxBytes?: number | undefined;
}

export interface ScanPage {
  readonly cells: Cell[];
  readonly scanTxn: number;
  readonly end: boolean;
  readonly resume: string | undefined;
  readonly nextRow: Uint8Array | undefined;
}

/** A scan page as received: the page's facts from its headers, the cell block not yet decoded. */
export interface RawScanPage extends Omit<ScanPage, 'cells'> {
  readonly block: Buffer;
}

/** One scan page from the server at `url`, its cells still encoded (decodeScanPage). */
export async function fetchScanPage(pools: ServerPools, url: string, table: string, req: ScanPageRequest, signal: AbortSignal): Promise<RawScanPage> {
  const body = {
    predicate: req.predicate,
    ...(req.resume !== undefined && { resume: req.resume }),
    ...(req.maxCells !== undefined && { maxCells: req.maxCells }),
    ...(req.maxBytes !== undefined && { maxBytes: req.maxBytes }),
  };
  const reply = await pools.request(url, {
    method: 'POST',
    path: tablePath(table, 'scan'),
    headers: { 'content-type': 'application/json', accept: CELL_BLOCK_MIME_TYPE },
    body: JSON.stringify(body),
    signal,
  });
  const what = `scan at ${url}`;
  const txnText = headerValue(reply.headers[SCAN_TXN_HEADER]);
  const endText = headerValue(reply.headers[END_HEADER]);
  const scanTxn = Number(txnText);
  if (txnText === undefined || !Number.isSafeInteger(scanTxn) || (endText !== 'true' && endText !== 'false')) {
    throw new KdiError('INTERNAL', `${what} answered without valid ${SCAN_TXN_HEADER} / ${END_HEADER} headers`);
  }
  const nextRowText = headerValue(reply.headers[NEXT_ROW_HEADER]);
  return {
    block: reply.body,
    scanTxn,
    end: endText === 'true',
    resume: headerValue(reply.headers[RESUME_HEADER]),
    nextRow: nextRowText === undefined ? undefined : Buffer.from(nextRowText, 'base64'),
  };
}

/** The page with its cells decoded (checksum checked). */
export function decodeScanPage(raw: RawScanPage): ScanPage {
  // The server is trusted: its cells passed its own limits.
  const cells = decodeCellBlock(raw.block, { limits: NO_LIMITS });
  return { cells, scanTxn: raw.scanTxn, end: raw.end, resume: raw.resume, nextRow: raw.nextRow };
}

export async function scanAt(pools: ServerPools, url: string, table: string, req: ScanPageRequest, signal: AbortSignal): Promise<ScanPage> {
  return decodeScanPage(await fetchScanPage(pools, url, table, req, signal));
}

export interface StatResult {
  readonly cells: number;
  readonly bytes: number;
  readonly tablets: ReadonlyArray<{ readonly tabletId: string; readonly cells: number; readonly bytes: number }>;
}

export async function statAt(pools: ServerPools, url: string, table: string, predicate: string, signal: AbortSignal): Promise<StatResult> {
  const reply = await pools.request(url, { method: 'POST', path: tablePath(table, 'stat'), headers: JSON_HEADERS, body: JSON.stringify({ predicate }), signal });
  return parseReply(reply, StatReplySchema, `stat at ${url}`);
}

/** META's location as the server at `url` reads it from the root; undefined while unassigned. */
export async function metaLocationAt(pools: ServerPools, url: string, signal: AbortSignal): Promise<TabletLocation | undefined> {
  const reply = await pools.request(url, { method: 'GET', path: '/v1/meta/location', headers: { accept: 'application/json' }, signal });
  return parseReply(reply, MetaLocationReplySchema, `META location at ${url}`).location;
}
