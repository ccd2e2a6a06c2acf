// connect(): the table SDK's entry (DESIGN §12). A client bootstraps from
// any tablet server it is given (each answers META's location from
// /kdi/root, without the cluster secret; the master will be another
// bootstrap URL later), reads tablet locations from META through the
// Table API, caches them (bounded) and talks to the tablet servers
// directly over keep-alive undici pools. The data path never needs the
// master.
//
//   const kdi = await connect({ servers: ['http://127.0.0.1:7201'], token })
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

export interface ConnectOptions {
  /** Base URLs of tablet servers to bootstrap from (any one that answers will do). */
  readonly servers: readonly string[];
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
  /** Bounds the bootstrap (finding META) like any call. */
  readonly signal?: AbortSignal | undefined;
}

export class KdiClient {
  readonly #pools: ServerPools;
  readonly #locator: Locator;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #tables = new Map<string, Table>();

  constructor(o: ConnectOptions) {
    if (o.servers.length === 0) throw new KdiError('INVALID_ARGUMENT', 'connect needs at least one server URL in servers');
    for (const s of o.servers) {
      try {
        const u = new URL(s);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new KdiError('INVALID_ARGUMENT', `servers: ${JSON.stringify(s)} is not an http(s) URL such as http://127.0.0.1:7201`);
      }
    }
    this.#timeoutMs = o.timeoutMs ?? 30_000;
    this.#backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.#pools = new ServerPools({ token: o.token, connections: o.connectionsPerServer });
    if (o.singleServer === true && o.servers.length !== 1) throw new KdiError('INVALID_ARGUMENT', 'singleServer needs exactly one server URL in servers');
    this.#locator = new Locator(this.#pools, o.servers, new LocationCache(o.maxCachedTablets ?? 10_000), o.singleServer === true ? o.servers[0]!.replace(/\/+$/, '') : undefined);
  }

  /** The handle of table `name` (no request is made). */
  table(name: string): Table {
    checkTableName(name);
    let t = this.#tables.get(name);
    if (t === undefined) {
      t = new Table(name, { pools: this.#pools, locator: this.#locator, timeoutMs: this.#timeoutMs, backoff: this.#backoff });
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

/** A client, once a bootstrap server has said where META is. */
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
