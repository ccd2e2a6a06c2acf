// Watches /kdi/servers/ (DESIGN §9): lists the directory, reads each
// file ({serverId, url, disks}), feeds the registry, and waits for the
// next change with a watch long poll from the listing's revision (so no
// change between the list and the watch is missed). Joins and deaths
// become events and wake the assigner.

import { isKdiError } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';
import type { ServerFile } from './server-registry.js';

export const SERVERS_DIR = '/kdi/servers';
const POLL_MS = 5_000;

export class ServerWatch {
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(private readonly ctx: MasterContext) {}

  /** One listing: the files now, fed to the registry. Returns the listing's revision. */
  async refresh(): Promise<number> {
    const { lock, registry, events } = this.ctx;
    let listing;
    try {
      listing = await lock.list(SERVERS_DIR);
    } catch (e) {
      if (isKdiError(e) && e.code === 'NOT_FOUND') return (await lock.status()).revision;
      throw e;
    }
    const files: ServerFile[] = [];
    for (const entry of listing.entries) {
      if (!entry.file) continue;
      const { name, path } = entry;
      const file = await lock.getFile(path).catch(() => undefined);
      if (file === undefined) continue;
      const parsed = parseServerFile(name, file.contents ?? '');
      if (parsed === undefined) {
        this.ctx.log.warn({ path }, 'server file is not {serverId, url}: ignored');
        continue;
      }
      files.push({ ...parsed, generation: file.generation });
    }
    const { joined, died } = registry.observeFiles(files);
    for (const f of joined) events.add({ kind: 'server-joined', message: `server ${f.serverId} joined at ${f.url}`, serverId: f.serverId });
    for (const id of died) {
      events.add({
        kind: 'server-dead',
        message: `server ${id}: its file ${SERVERS_DIR}/${id} is gone; its tablets move after the lock-delay (${this.ctx.lockDelayMs()} ms)`,
        serverId: id,
      });
    }
    if (joined.length > 0 || died.length > 0) this.ctx.kick();
    if (died.length > 0) setTimeout(() => this.ctx.kick(), this.ctx.lockDelayMs() + 50).unref();
    return listing.revision;
  }

  /** Keeps the registry current until stop(). */
  async run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const revision = await this.refresh();
        if (this.#stopped) return;
        await this.ctx.lock.watch({ path: SERVERS_DIR, recursive: true, after: revision, timeoutMs: POLL_MS, signal: this.#abort.signal });
      } catch (e) {
        if (this.#stopped) return;
        this.ctx.log.warn({ err: e }, 'watching the server files failed; trying again');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
  }
}

export function parseServerFile(name: string, contents: string): ServerFile | undefined {
  try {
    const v = JSON.parse(contents) as Partial<ServerFile>;
    if (typeof v.url !== 'string') return undefined;
    const serverId = typeof v.serverId === 'string' ? v.serverId : name;
    return { serverId, url: v.url, disks: Array.isArray(v.disks) ? v.disks.filter((d): d is string => typeof d === 'string') : undefined };
  } catch {
    return undefined;
  }
}
