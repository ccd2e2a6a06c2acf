// The servers being drained (docs/migration.md "Master"): kept in the lock
// service, one file per server, /kdi/drain/<serverId> (contents: JSON
// {since}), so a master that takes over continues a drain it did not
// start. Not ephemeral: a drain outlives the master that began it and the
// server's own restarts, and ends only by DELETE /v1/servers/{id}/drain.
//
// Promises: after add() resolves the file exists and has() is true; after
// remove() resolves it is gone and has() is false; load() replaces the
// in-memory set with the directory's listing (a new master calls it
// before it acts). A failure of the lock service throws and leaves the
// in-memory set as it was.

import { isKdiError } from '@kdi/protocol';
import type { LockClient } from '@kdi/client-sdk';

export const DRAIN_DIR = '/kdi/drain';

export class DrainSet {
  readonly #ids = new Map<string, string>();

  constructor(private readonly lock: LockClient) {}

  async load(): Promise<void> {
    const listing = await this.lock.list(DRAIN_DIR);
    this.#ids.clear();
    for (const e of listing.entries) {
      if (!e.file) continue;
      let since = new Date().toISOString();
      try {
        const file = await this.lock.getFile(e.path);
        since = (JSON.parse(file.contents ?? '{}') as { since?: string }).since ?? since;
      } catch {
        // A file that is gone meanwhile or holds something else: still a drain (the name is the server id).
      }
      this.#ids.set(e.name, since);
    }
  }

  has(serverId: string): boolean {
    return this.#ids.has(serverId);
  }

  ids(): string[] {
    return [...this.#ids.keys()].sort();
  }

  /** When the drain of `serverId` began. */
  since(serverId: string): string | undefined {
    return this.#ids.get(serverId);
  }

  async add(serverId: string): Promise<void> {
    if (this.#ids.has(serverId)) return;
    const since = new Date().toISOString();
    try {
      await this.lock.createFile(`${DRAIN_DIR}/${serverId}`, { contents: JSON.stringify({ since }) });
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'ALREADY_EXISTS')) throw e;
    }
    this.#ids.set(serverId, since);
  }

  async remove(serverId: string): Promise<void> {
    try {
      await this.lock.deleteFile(`${DRAIN_DIR}/${serverId}`);
    } catch (e) {
      if (!(isKdiError(e) && e.code === 'NOT_FOUND')) throw e;
    }
    this.#ids.delete(serverId);
  }
}
