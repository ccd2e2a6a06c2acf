// The SDK client behind the master's gateway, made on first use: it
// bootstraps from this master's own URL (GET /v1/meta/location, which
// reads /kdi/root), so it needs the URL the master advertises — known only
// once the master listens — and nothing about META at start (META may not
// be assigned yet: the SDK looks it up, and again when it moves).
//
// Promises: one client per master process; get() before the master has a
// URL is UNAVAILABLE (retry shortly); close() closes the client if one was
// made, and a get() after it is UNAVAILABLE.

import { KdiClient } from '@kdi/client-sdk';
import { KdiError } from '@kdi/protocol';

export class GatewayClient {
  #client: KdiClient | undefined;
  #closed = false;

  constructor(
    /** The master's advertised URL, once it has one. */
    private readonly ownUrl: () => string | undefined,
    /** Each gateway call's deadline, retries included. */
    private readonly timeoutMs = 30_000,
  ) {}

  readonly get = (): KdiClient => {
    if (this.#closed) throw new KdiError('UNAVAILABLE', 'the master is shutting down; send the call to another master', { retryAfterMs: 1000 });
    if (this.#client !== undefined) return this.#client;
    const url = this.ownUrl();
    if (url === undefined) throw new KdiError('UNAVAILABLE', 'the master is starting (it has no URL yet); try again shortly', { retryAfterMs: 200 });
    this.#client = new KdiClient({ servers: [url], timeoutMs: this.timeoutMs });
    return this.#client;
  };

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client?.close();
  }
}
