// The source's calls to the target server (docs/migration.md, target
// side), with undici: JSON for prepare, preload and abort; each file
// streamed as application/octet-stream with its CRC-32C in x-kdi-crc32c;
// delta rounds and the commit as binary cell blocks (application/x-kdi-cells).
// Every call carries the cluster secret and the master's sequencer the
// source was given.
//
// A PeerError says whether the target answered (`answered`, with its
// status and error code) or could not be reached or read (a network
// error, the connection reset): the commit's unknown-outcome rule
// (migration-source.ts) tells these apart.

import { Readable } from 'node:stream';
import { CELL_BLOCK_MIME_TYPE, CRC32C_HEADER, type MigrationStatus } from '@kdi/protocol';
import { Agent, request } from 'undici';

export class PeerError extends Error {
  override readonly name = 'PeerError';
  constructor(
    message: string,
    /** The target answered (with `status`); false for a network error. */
    readonly answered: boolean,
    readonly status?: number,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Long calls (a commit loads the tablet and writes META): no undici timeouts; the connection's life bounds them. */
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });

export class PeerClient {
  constructor(
    private readonly base: string,
    private readonly headers: Readonly<Record<string, string>>,
  ) {}

  prepare(migrationId: string, body: unknown): Promise<void> {
    return this.call('POST', `/v1/admin/migrations/${encodeURIComponent(migrationId)}`, body, 201).then(() => undefined);
  }

  async putFile(migrationId: string, name: string, crc: number, bytes: number, data: AsyncIterable<Uint8Array>): Promise<void> {
    const path = `/v1/admin/migrations/${encodeURIComponent(migrationId)}/files/${encodeURIComponent(name)}`;
    await this.send('PUT', path, Readable.from(data), { 'content-type': 'application/octet-stream', 'content-length': String(bytes), [CRC32C_HEADER]: String(crc) }, 204);
  }

  preload(migrationId: string, body: unknown): Promise<unknown> {
    return this.call('POST', `/v1/admin/migrations/${encodeURIComponent(migrationId)}/preload`, body, 200);
  }

  /** A delta round: a cell block (application/x-kdi-cells); the target's {cells, ms}. */
  delta(migrationId: string, block: Uint8Array): Promise<{ cells: number; ms: number } | undefined> {
    const path = `/v1/admin/migrations/${encodeURIComponent(migrationId)}/cells`;
    return this.send('POST', path, block, { 'content-type': CELL_BLOCK_MIME_TYPE }, 200) as Promise<{ cells: number; ms: number } | undefined>;
  }

  /** The commit: JSON, or a cell block (the cells since the last delta round; the target keeps its preloaded lists). */
  commit(migrationId: string, body: unknown): Promise<unknown> {
    const path = `/v1/admin/migrations/${encodeURIComponent(migrationId)}/commit`;
    if (body instanceof Uint8Array) return this.send('POST', path, body, { 'content-type': CELL_BLOCK_MIME_TYPE }, 200);
    return this.call('POST', path, body, 200);
  }

  /** DELETE: the target aborts (or, past its point of no return, waits for its commit) and answers its status; undefined for 404. */
  async abort(migrationId: string): Promise<MigrationStatus | undefined> {
    try {
      return (await this.send('DELETE', `/v1/admin/migrations/${encodeURIComponent(migrationId)}`, undefined, {}, 200)) as MigrationStatus;
    } catch (e) {
      if (e instanceof PeerError && e.status === 404) return undefined;
      throw e;
    }
  }

  private call(method: 'POST', path: string, body: unknown, expect: number): Promise<unknown> {
    return this.send(method, path, JSON.stringify(body), { 'content-type': 'application/json' }, expect);
  }

  private async send(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: string | Uint8Array | Readable | undefined,
    headers: Record<string, string>,
    expect: number,
  ): Promise<unknown> {
    let res;
    try {
      res = await request(`${this.base}${path}`, { method, dispatcher: agent, headers: { ...this.headers, ...headers }, ...(body !== undefined && { body }) });
    } catch (e) {
      throw new PeerError(`${method} ${this.base}${path}: ${(e as Error).message}`, false, undefined, undefined, { cause: e });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw new PeerError(`${method} ${this.base}${path}: reading the answer failed: ${(e as Error).message}`, false, undefined, undefined, { cause: e });
    }
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (res.statusCode === expect) return parsed;
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new PeerError(`${method} ${this.base}${path}: ${res.statusCode} ${err?.code ?? ''} ${err?.message ?? text.slice(0, 300)}`.trim(), true, res.statusCode, err?.code);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
