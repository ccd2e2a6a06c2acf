// Calls from the master to a tablet server's admin API (DESIGN §7, §9):
// every call carries the cluster secret as Bearer and the master's current
// sequencer (its exclusive lock on /kdi/master) as JSON in x-kdi-sequencer,
// which the server checks with the lock service before it moves a tablet.
//
// An answer is {status, body}; a call that got no answer (refused
// connection, reset, timeout) is {status: 0, message} — the callers decide
// what an unreachable server means for them (pending, retry later).

import type { Sequencer } from '@kdi/protocol';

export const SEQUENCER_HEADER = 'x-kdi-sequencer';
const DEFAULT_TIMEOUT_MS = 60_000;
/** Status polls are frequent: one that does not answer soon is tried again at the next poll. */
const POLL_TIMEOUT_MS = 5_000;

export interface AdminAnswer {
  /** HTTP status; 0 when the server did not answer. */
  readonly status: number;
  readonly body: unknown;
  /** The error's message (from {error:{message}}), or why there was no answer. */
  readonly message: string;
  /** The error's code, when the server answered with one. */
  readonly code?: string | undefined;
}

export class AdminClient {
  constructor(
    private readonly clusterSecret: string,
    /** The sequencer to send; undefined while this master is not active. */
    private readonly sequencer: () => Sequencer | undefined,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  loadTablet(serverUrl: string, body: { table: string; tabletId: string; epoch: number; upperInclusive?: string; encoding?: 'utf8' | 'base64' }): Promise<AdminAnswer> {
    return this.call('POST', `${serverUrl}/v1/admin/tablets`, body);
  }

  unloadTablet(serverUrl: string, tabletId: string): Promise<AdminAnswer> {
    return this.call('DELETE', `${serverUrl}/v1/admin/tablets/${encodeURIComponent(tabletId)}`);
  }

  reloadSchema(serverUrl: string, table: string): Promise<AdminAnswer> {
    return this.call('POST', `${serverUrl}/v1/admin/tables/${encodeURIComponent(table)}/schema`, {});
  }

  gc(serverUrl: string, body: { keep: string[]; minAgeMs: number }): Promise<AdminAnswer> {
    return this.call('POST', `${serverUrl}/v1/admin/gc`, body);
  }

  /** Asks the source to move a tablet (docs/migration.md): 202 {migrationId} once the move runs in the background. */
  migrate(serverUrl: string, tabletId: string, body: { migrationId: string; target: { serverId: string; url: string }; epoch: number }): Promise<AdminAnswer> {
    return this.call('POST', `${serverUrl}/v1/admin/tablets/${encodeURIComponent(tabletId)}/migrate`, body);
  }

  /** The moves the server drives or receives: {migrations: [MigrationStatus]}. */
  migrations(serverUrl: string): Promise<AdminAnswer> {
    return this.call('GET', `${serverUrl}/v1/admin/migrations`, undefined, POLL_TIMEOUT_MS);
  }

  /** Merges two adjacent tablets on one server (docs/api.md): 200 {low, high, merged}. */
  merge(serverUrl: string, tabletId: string, body: { with: string; mergedTabletId?: string }): Promise<AdminAnswer> {
    return this.call('POST', `${serverUrl}/v1/admin/tablets/${encodeURIComponent(tabletId)}/merge`, body);
  }

  /** One of the server's disk routes (docs/disks.md): `path` under /v1/admin, with its query. */
  disks(serverUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<AdminAnswer> {
    return this.call(method, `${serverUrl}/v1/admin${path}`, body, method === 'GET' ? POLL_TIMEOUT_MS : DEFAULT_TIMEOUT_MS);
  }

  status(serverUrl: string): Promise<AdminAnswer> {
    return this.call('GET', `${serverUrl}/v1/admin/status?encoding=base64`);
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, timeoutMs: number = this.timeoutMs): Promise<AdminAnswer> {
    const sequencer = this.sequencer();
    const headers: Record<string, string> = { authorization: `Bearer ${this.clusterSecret}` };
    if (sequencer !== undefined) headers[SEQUENCER_HEADER] = JSON.stringify(sequencer);
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }), signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return { status: 0, body: undefined, message: `${method} ${url} got no answer: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    return { status: res.status, body: parsed, message: error?.message ?? `${method} ${url}: HTTP ${res.status}`, code: error?.code };
  }
}
