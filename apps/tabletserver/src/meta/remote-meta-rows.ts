// META's rows on another tablet server, over its public Table API (DESIGN
// §4): scans page by page with the resume token, applies as row
// transactions. Bytes travel as base64 JSON (META rows hold arbitrary
// bytes). Applies to META carry the cluster secret: the server refuses
// META writes without it (routes/apply.ts).
//
// Errors come back as KdiErrors rebuilt from the reply body; a request
// that never got an answer (refused connection, reset, timeout) is
// UNAVAILABLE — for an apply that means "may or may not have happened",
// which the caller's row transaction settles (a retry against a fresh
// read either finds its own write or the row as it was).

import { errorFromBody, KdiError, type Interval, META_TABLE, type MetaCell } from '@kdi/protocol';
import type { MetaRows } from './meta-table.js';

const PAGE_CELLS = 10_000;
const TIMEOUT_MS = 30_000;

interface WireCell {
  row: string;
  column: string;
  timestamp: number;
  value?: string;
  erase?: true;
}

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

export class HttpMetaRows implements MetaRows {
  constructor(
    /** Base URL of the server serving META, e.g. http://127.0.0.1:7201 */
    readonly url: string,
    private readonly clusterSecret: string,
  ) {}

  async scan(rows: Interval<Uint8Array>, maxCells?: number): Promise<{ cells: MetaCell[]; txn: number }> {
    const bound = (b: Interval<Uint8Array>['lower']) => (b === undefined ? undefined : { value: b64(b.value), inclusive: b.inclusive });
    const predicate = { rows: [{ ...(rows.lower && { lower: bound(rows.lower) }), ...(rows.upper && { upper: bound(rows.upper) }) }] };
    const cells: MetaCell[] = [];
    let txn: number | undefined;
    let resume: string | undefined;
    for (;;) {
      const page = (await this.call('scan', { predicate, encoding: 'base64', maxCells: maxCells ?? PAGE_CELLS, ...(resume !== undefined && { resume }) })) as {
        cells: WireCell[];
        scanTxn: number;
        end: boolean;
        resume?: string;
        nextRow?: string;
        encoding: string;
      };
      const text = page.encoding !== 'base64';
      const bytes = (s: string) => Buffer.from(s, text ? 'utf8' : 'base64');
      for (const c of page.cells) {
        cells.push({ row: bytes(c.row), column: bytes(c.column), timestamp: c.timestamp, value: c.value === undefined ? null : bytes(c.value) });
      }
      txn = txn === undefined ? page.scanTxn : Math.min(txn, page.scanTxn);
      if (page.end || maxCells !== undefined) return { cells, txn };
      if (page.nextRow !== undefined || page.resume === undefined) {
        throw new KdiError('UNAVAILABLE', `${this.url} does not serve all of the ${META_TABLE} table`, { retryAfterMs: 1000 });
      }
      resume = page.resume;
    }
  }

  async apply(cells: readonly MetaCell[], commitMaxTxn: number): Promise<number> {
    const wire: WireCell[] = cells.map((c) => ({
      row: b64(c.row),
      column: b64(c.column),
      timestamp: c.timestamp,
      ...(c.value === null ? { erase: true as const } : { value: b64(c.value) }),
    }));
    const reply = (await this.call('apply', { cells: wire, encoding: 'base64', commitMaxTxn, waitForSync: true })) as { commitTxn: number };
    return reply.commitTxn;
  }

  private async call(op: 'scan' | 'apply', body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/v1/tables/${META_TABLE}/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.clusterSecret}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new KdiError('UNAVAILABLE', `${META_TABLE} ${op} at ${this.url} got no answer: ${(e as Error).message}`, { retryAfterMs: 500, cause: e });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new KdiError('UNAVAILABLE', `${META_TABLE} ${op} at ${this.url} answered ${response.status} with a body that is not JSON`, { retryAfterMs: 500 });
    }
    if (!response.ok) throw errorFromBody(parsed, response.status);
    return parsed;
  }
}
