// The file GC driver (DESIGN §9): every GC interval, the master collects
// every fragment path a tablet config names — the root's (META) and every
// tablet row's in META — and asks each live tablet server to delete the
// fragment files in its data directories named neither there nor by its
// own engine, once older than the grace period (POST /v1/admin/gc {keep,
// minAgeMs}). A server without that route (404) or not answering is
// skipped this time. Deleted files become a 'files-deleted' event.

import { readRoot } from '@kdi/client-sdk';
import type { GcReply } from '@kdi/protocol';
import { readCatalog } from '../meta/catalog.js';
import type { MasterContext } from '../node/master-context.js';

export interface GcRoundResult {
  readonly servers: number;
  readonly deleted: number;
  readonly deletedBytes: number;
  readonly skipped: string[];
}

/** Every fragment path the root and META name (sorted, distinct). */
export async function collectKeep(ctx: MasterContext): Promise<string[]> {
  const keep = new Set<string>();
  const root = await readRoot(ctx.lock);
  for (const list of Object.values(root?.config.fragments ?? {})) for (const p of list) keep.add(p);
  const catalog = await readCatalog(ctx.metaRows);
  for (const table of catalog.tables.values()) {
    for (const t of table.tablets) for (const list of Object.values(t.fragments)) for (const p of list) keep.add(p);
  }
  return [...keep].sort();
}

export class GcDriver {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(private readonly ctx: MasterContext) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.#timer = setInterval(() => void this.runOnce().catch((e: unknown) => this.ctx.log.warn({ err: e }, 'file GC round failed')), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async runOnce(): Promise<GcRoundResult | undefined> {
    if (this.#running || this.ctx.election.role !== 'active') return undefined;
    this.#running = true;
    try {
      const keep = await collectKeep(this.ctx);
      const servers = this.ctx.registry.liveLoads();
      let deleted = 0;
      let deletedBytes = 0;
      const skipped: string[] = [];
      for (const s of servers) {
        const a = await this.ctx.admin.gc(s.url, { keep, minAgeMs: this.ctx.config.gcGraceMs });
        if (a.status !== 200) {
          skipped.push(s.serverId);
          this.ctx.log.debug({ serverId: s.serverId, status: a.status, message: a.message }, 'file GC skipped a server');
          continue;
        }
        const reply = a.body as GcReply;
        deleted += reply.deleted.length;
        deletedBytes += reply.deletedBytes;
        if (reply.deleted.length > 0) {
          this.ctx.events.add({
            kind: 'files-deleted',
            message: `${reply.deleted.length} fragment file(s) no config names deleted on ${s.serverId} (${reply.deletedBytes} bytes)`,
            serverId: s.serverId,
          });
        }
      }
      return { servers: servers.length, deleted, deletedBytes, skipped };
    } finally {
      this.#running = false;
    }
  }
}
