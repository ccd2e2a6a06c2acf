// Finds the current master (DESIGN §9): the master holds /kdi/master in
// the lock service, its contents its base URL as plain text. The finder
// reads the file, then watches it, so a new master (a standby taking over)
// is known as soon as it writes its URL.
//
// Promises:
//  - current() is the URL /kdi/master held at the last read (trailing '/'
//    removed), or undefined while there is no file, it holds no http(s)
//    URL, or the lock service cannot be reached;
//  - no change is missed: the watch starts from the lock service's
//    revision taken before the read, and every event re-reads the file;
//  - nothing throws out of the finder: a failure is logged at debug and
//    tried again after retryMs; listeners hear every change of current();
//  - stop() ends the watch and resolves once the loop has ended.

import { contentsText, type LockClient } from '@kdi/client-sdk';
import { isKdiError } from '@kdi/protocol';

export const MASTER_FILE = '/kdi/master';

export interface MasterFinderLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface MasterFinderOptions {
  readonly lockClient: Pick<LockClient, 'status' | 'getFile' | 'watchIter'>;
  readonly logger: MasterFinderLogger;
  /** Wait before trying again after a failure (default 1000 ms). */
  readonly retryMs?: number;
}

/** The master's URL in the contents of /kdi/master, or undefined when they are not an http(s) URL. */
export function masterUrlFrom(contents: string): string | undefined {
  const text = contents.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return text.replace(/\/+$/, '');
}

export class MasterFinder {
  private url: string | undefined;
  private readonly listeners: Array<(url: string | undefined) => void> = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: MasterFinderOptions) {}

  current(): string | undefined {
    return this.url;
  }

  onChange(listener: (url: string | undefined) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const { revision } = await this.o.lockClient.status({ signal });
        await this.read(signal);
        for await (const _item of this.o.lockClient.watchIter(MASTER_FILE, { after: revision, signal })) {
          await this.read(signal);
        }
      } catch (e) {
        if (signal.aborted) return;
        this.o.logger.debug({ err: e }, `cannot read ${MASTER_FILE}; trying again`);
        this.set(undefined);
      }
      await sleep(this.o.retryMs ?? 1_000, signal);
    }
  }

  private async read(signal: AbortSignal): Promise<void> {
    let contents: string | undefined;
    try {
      contents = contentsText(await this.o.lockClient.getFile(MASTER_FILE, { signal }));
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'NOT_FOUND')) throw e;
    }
    const url = contents === undefined ? undefined : masterUrlFrom(contents);
    if (contents !== undefined && url === undefined) this.o.logger.debug({ contents: contents.slice(0, 200) }, `${MASTER_FILE} holds no master URL yet`);
    this.set(url);
  }

  private set(url: string | undefined): void {
    if (url === this.url) return;
    this.url = url;
    if (url === undefined) this.o.logger.debug({}, 'no master known');
    else this.o.logger.info({ masterUrl: url }, 'master found');
    for (const listener of this.listeners) listener(url);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
