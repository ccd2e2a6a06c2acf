// connect(): the table SDK's entry (DESIGN §12). A client bootstraps from
// any cluster URL it is given — the master or a tablet server: each answers
// META's location from /kdi/root (GET /v1/meta/location, without the
// cluster secret) — reads tablet locations from META through the Table
// API, caches them (bounded) and talks to the tablet servers directly over
// keep-alive undici pools. The data path never needs the master; the
// master's API for tables, tablets, servers and events is `kdi.admin`.
//
//   const kdi = await connect({ master: 'http://127.0.0.1:7000', token })
//   await kdi.admin.createTable('webtable', { splits: ['m'] })
//   const t = kdi.table('webtable')
//   await t.apply([{ row, column, timestamp, value }])
//   for await (const cell of t.scan("row ~= 'com.cnn' and history = 1")) …
//   const w = t.writer({ maxBytes: 1 << 20 }); await w.add(cells); await w.close()
//   await kdi.close()

import { checkTableName } from './table-name.js';
import { DEFAULT_BACKOFF, retryUntilDeadline, type BackoffPolicy } from './backoff.js';
import { inScope, type CallOptions } from './call-scope.js';
import { LocationCache } from './location-cache.js';
import { Locator } from './locator.js';
import { ServerPools } from './server-pools.js';
import { Table } from './table.js';
import { KdiError } from '@kdi/protocol';
import { AdminClient } from '../admin/admin-client.js';

export interface ConnectOptions {
  /** The master's base URL: a bootstrap URL like `servers`, and where `kdi.admin` sends its calls. */
  readonly master?: string | undefined;
  /** Base URLs of tablet servers to bootstrap from (any one that answers will do); `master`, `servers` or both. */
  readonly servers?: readonly string[] | undefined;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  readonly token?: string | undefined;
  /** Default deadline of each call, retries included (default 30 s). */
  readonly timeoutMs?: number | undefined;
  /** Tablet ranges kept in the location cache (default 10 000). */
  readonly maxCachedTablets?: number | undefined;
  /** Keep-alive sockets per server (default 16). */
  readonly connectionsPerServer?: number | undefined;
  /** Backoff between retries (default 20 ms doubling to 1 s, full jitter). */
  readonly backoff?: BackoffPolicy | undefined;
  /**
   * Single-server mode, for a tablet server outside a cluster (no lock
   * service, no META: tablets loaded by hand with the admin API): every
   * table is read and written at servers[0], nothing is located. Default false.
   */
  readonly singleServer?: boolean | undefined;
  /**
   * Concurrent calls share requests (default true): unconditional applies
   * bound for one tablet server go as one apply (one txn, one log sync),
   * and concurrent gets as one read of their rows — each call still gets
   * its own result or error. False sends every call on its own.
   */
  readonly coalesceCalls?: boolean | undefined;
  /** Bounds the bootstrap (finding META) like any call. */
  readonly signal?: AbortSignal | undefined;
}

export class KdiClient {
  readonly #pools: ServerPools;
  readonly #locator: Locator;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #coalesce: boolean;
  readonly #tables = new Map<string, Table>();
  readonly #admin: AdminClient | undefined;

  constructor(o: ConnectOptions) {
    const servers = o.servers ?? [];
    for (const s of servers) checkUrl('servers', s, 'http://127.0.0.1:7201');
    if (o.master !== undefined) checkUrl('master', o.master, 'http://127.0.0.1:7000');
    const master = o.master?.replace(/\/+$/, '');
    const bootstrap = master === undefined ? servers : [...servers, master];
    if (bootstrap.length === 0) throw new KdiError('INVALID_ARGUMENT', "connect needs the master's URL in master (e.g. http://127.0.0.1:7000) or tablet server URLs in servers");
    this.#timeoutMs = o.timeoutMs ?? 30_000;
    this.#backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.#coalesce = o.coalesceCalls ?? true;
    this.#pools = new ServerPools({ token: o.token, connections: o.connectionsPerServer });
    if (o.singleServer === true && (servers.length !== 1 || master !== undefined))
      throw new KdiError('INVALID_ARGUMENT', 'singleServer needs exactly one server URL in servers and no master');
    this.#locator = new Locator(this.#pools, bootstrap, new LocationCache(o.maxCachedTablets ?? 10_000), o.singleServer === true ? servers[0]!.replace(/\/+$/, '') : undefined);
    if (master !== undefined) this.#admin = new AdminClient({ pools: this.#pools, masterUrl: master, timeoutMs: this.#timeoutMs, backoff: this.#backoff });
  }

  /** The master's API (tables, tablets, servers, events); needs `master` in the connect options. */
  get admin(): AdminClient {
    if (this.#admin === undefined) {
      throw new KdiError('INVALID_ARGUMENT', "kdi.admin talks to the master: pass its URL to connect, e.g. connect({ master: 'http://127.0.0.1:7000' })", {
        details: { field: 'master' },
      });
    }
    return this.#admin;
  }

  /** The handle of table `name` (no request is made). */
  table(name: string): Table {
    checkTableName(name);
    let t = this.#tables.get(name);
    if (t === undefined) {
      t = new Table(name, { pools: this.#pools, locator: this.#locator, timeoutMs: this.#timeoutMs, backoff: this.#backoff, coalesce: this.#coalesce });
      this.#tables.set(name, t);
    }
    return t;
  }

  /** Finds META (what connect() does first); retried until the deadline. */
  async ready(opts: CallOptions = {}): Promise<void> {
    await inScope('connect', opts, this.#timeoutMs, (scope) => retryUntilDeadline(scope, this.#backoff, () => this.#locator.metaLocation(scope.signal)));
  }

  /** Tablet ranges in the location cache (for tests and metrics). */
  get cachedTablets(): number {
    return this.#locator.cache.size;
  }

  /** Closes every connection; calls in flight fail. */
  close(): Promise<void> {
    return this.#pools.close();
  }
}

function checkUrl(field: string, url: string, example: string): void {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return;
  } catch {
    // reported below
  }
  throw new KdiError('INVALID_ARGUMENT', `${field}: ${JSON.stringify(url)} is not an http(s) URL such as ${example}`, { details: { field } });
}

/** A client, once a bootstrap URL has said where META is. */
export async function connect(o: ConnectOptions): Promise<KdiClient> {
  const client = new KdiClient(o);
  try {
    await client.ready({ signal: o.signal, timeoutMs: o.timeoutMs });
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
}
