// The tablet servers as the master knows them (DESIGN §9): which hold
// their lock file /kdi/servers/<id> (live), since when a server's file has
// been gone (dead), and each one's last heartbeat. Pure state over an
// injected monotonic clock; the watcher (server-watch.ts) feeds it files,
// the heartbeat route feeds it statuses.
//
// A server whose file is gone is dead; its tablets may be reassigned once
// the lock-delay has passed since the master saw it go (`deadLongEnough`):
// by then its lease is over and it acknowledges nothing. A server id the
// master never saw live (a location written before this master started)
// starts that clock the first time it is asked about.

import type { DiskStatus, MasterServer, MemoryStatus, TabletStatus } from '@kdi/protocol';

/** The contents of /kdi/servers/<id>. */
export interface ServerFile {
  readonly serverId: string;
  readonly url: string;
  readonly disks?: readonly string[] | undefined;
  /** The lock-service file's generation: a new one is a new process (a restart). */
  readonly generation?: number | undefined;
}

/** A heartbeat as the route parsed it. */
export interface ServerHeartbeat {
  readonly serverId: string;
  readonly url: string;
  readonly startedAt: string;
  readonly encoding: 'utf8' | 'base64';
  readonly tablets: readonly TabletStatus[];
  readonly disks: readonly DiskStatus[];
  readonly memory: MemoryStatus;
  readonly leaseRemainingMs?: number | undefined;
}

interface ServerRecord {
  serverId: string;
  url: string;
  generation: number | undefined;
  live: boolean;
  /** Monotonic ms when the master saw the file gone (or first asked about an unknown id). */
  deadSince: number | undefined;
  heartbeat: ServerHeartbeat | undefined;
  lastHeartbeatAt: Date | undefined;
}

export interface ServerLoad {
  readonly serverId: string;
  readonly url: string;
  readonly diskBytes: number;
  readonly requestsPerSec: number;
}

/** A live server's tablets as its last heartbeat reported them. */
export interface ServerTablets {
  readonly serverId: string;
  readonly url: string;
  /** How the heartbeat wrote the tablet bounds. */
  readonly encoding: 'utf8' | 'base64';
  readonly tablets: readonly TabletStatus[];
  /** When the heartbeat arrived (undefined before the first). */
  readonly heartbeatAt: Date | undefined;
}

export class ServerRegistry {
  readonly #servers = new Map<string, ServerRecord>();
  /** Servers that came back (a new process) since the last takeRestarts(). */
  readonly #restarted = new Set<string>();
  /** Servers that joined (first seen, or back) whose holdings the assigner has not checked yet. */
  readonly #unverified = new Set<string>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The files now in /kdi/servers; which servers joined and which died since the last call. */
  observeFiles(files: readonly ServerFile[]): { joined: ServerFile[]; died: string[] } {
    const present = new Map(files.map((f) => [f.serverId, f]));
    const joined: ServerFile[] = [];
    const died: string[] = [];
    for (const f of files) {
      const r = this.#servers.get(f.serverId);
      if (r === undefined) {
        this.#servers.set(f.serverId, {
          serverId: f.serverId,
          url: f.url,
          generation: f.generation,
          live: true,
          deadSince: undefined,
          heartbeat: undefined,
          lastHeartbeatAt: undefined,
        });
        joined.push(f);
      } else if (!r.live || r.url !== f.url || (f.generation !== undefined && r.generation !== undefined && f.generation !== r.generation)) {
        // A new process under that id (back after dying, or restarted between two listings): it serves
        // none of the tablets assigned to the old one, and its old heartbeat no longer describes it.
        if (r.url !== '') this.#restarted.add(f.serverId);
        Object.assign(r, { url: f.url, generation: f.generation, live: true, deadSince: undefined, heartbeat: undefined, lastHeartbeatAt: undefined });
        joined.push(f);
      }
    }
    for (const f of joined) this.#unverified.add(f.serverId);
    for (const r of this.#servers.values()) {
      if (r.live && !present.has(r.serverId)) {
        r.live = false;
        r.deadSince = this.now();
        died.push(r.serverId);
      }
    }
    return { joined, died };
  }

  /** Joined servers whose holdings are not checked yet (each reported once; give back with `unverified` when the check failed). */
  takeUnverified(): string[] {
    const out = [...this.#unverified].filter((id) => this.isLive(id));
    this.#unverified.clear();
    return out;
  }

  unverified(serverId: string): void {
    this.#unverified.add(serverId);
  }

  /** True when the server came back as a new process and takeRestarts() has not reported it yet. */
  isRestarted(serverId: string): boolean {
    return this.#restarted.has(serverId);
  }

  /** Servers that came back as a new process since the last call (their old tablets must be assigned again). */
  takeRestarts(): string[] {
    const out = [...this.#restarted];
    this.#restarted.clear();
    return out;
  }

  /** Stores a heartbeat; false when the server holds no file (yet): it is then not live. */
  heartbeat(hb: ServerHeartbeat, at: Date): boolean {
    const r = this.#servers.get(hb.serverId);
    if (r === undefined || !r.live) return false;
    r.heartbeat = hb;
    r.lastHeartbeatAt = at;
    r.url = hb.url;
    return true;
  }

  isLive(serverId: string): boolean {
    return this.#servers.get(serverId)?.live === true;
  }

  /** True when the server is not live and has not been for at least `lockDelayMs`. */
  deadLongEnough(serverId: string, lockDelayMs: number): boolean {
    let r = this.#servers.get(serverId);
    if (r === undefined) {
      r = { serverId, url: '', generation: undefined, live: false, deadSince: this.now(), heartbeat: undefined, lastHeartbeatAt: undefined };
      this.#servers.set(serverId, r);
    }
    if (r.live) return false;
    r.deadSince ??= this.now();
    return this.now() - r.deadSince >= lockDelayMs;
  }

  /** Live servers with their load from the last heartbeat (zero before the first). */
  liveLoads(): ServerLoad[] {
    return [...this.#servers.values()]
      .filter((r) => r.live)
      .map((r) => {
        const tablets = r.heartbeat?.tablets ?? [];
        return {
          serverId: r.serverId,
          url: r.url,
          diskBytes: tablets.reduce((n, t) => n + t.diskBytes, 0),
          requestsPerSec: tablets.reduce((n, t) => n + t.readsPerSec + t.writesPerSec, 0),
        };
      });
  }

  /** Every live server with the tablets of its last heartbeat (none before the first). */
  liveTablets(): ServerTablets[] {
    return [...this.#servers.values()]
      .filter((r) => r.live)
      .sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0))
      .map((r) => ({ serverId: r.serverId, url: r.url, encoding: r.heartbeat?.encoding ?? 'utf8', tablets: r.heartbeat?.tablets ?? [], heartbeatAt: r.lastHeartbeatAt }));
  }

  /** The live server whose last heartbeat reports tablet id `tabletId`, with the tablet's status. */
  findTablet(tabletId: string): (ServerTablets & { readonly tablet: TabletStatus }) | undefined {
    for (const s of this.liveTablets()) {
      const tablet = s.tablets.find((t) => t.tabletId === tabletId);
      if (tablet !== undefined) return { ...s, tablet };
    }
    return undefined;
  }

  /** True when the master has seen this server id (live or dead). */
  known(serverId: string): boolean {
    const r = this.#servers.get(serverId);
    return r !== undefined && r.url !== '';
  }

  url(serverId: string): string | undefined {
    const r = this.#servers.get(serverId);
    return r?.live ? r.url : undefined;
  }

  /** The heartbeat status of the tablet `table`/`upper` on `serverId` (bounds compared as bytes). */
  tabletStatus(serverId: string, table: string, upper: Uint8Array | undefined): TabletStatus | undefined {
    const hb = this.#servers.get(serverId)?.heartbeat;
    if (hb === undefined) return undefined;
    const want = upper === undefined ? undefined : Buffer.from(upper);
    return hb.tablets.find((t) => {
      if (t.table !== table) return false;
      if (t.upperInclusive === undefined || want === undefined) return t.upperInclusive === undefined && want === undefined;
      return Buffer.from(t.upperInclusive, hb.encoding === 'base64' ? 'base64' : 'utf8').equals(want);
    });
  }

  /** Every server known (live, and dead ones the master saw), for GET /v1/servers; `tabletCounts` from META. */
  list(tabletCounts: ReadonlyMap<string, number>, draining: (serverId: string) => boolean = () => false): MasterServer[] {
    return [...this.#servers.values()]
      .filter((r) => r.url !== '')
      .sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0))
      .map((r) => {
        const hb = r.live ? r.heartbeat : undefined;
        const tablets = hb?.tablets ?? [];
        return {
          serverId: r.serverId,
          url: r.url,
          state: r.live ? ('live' as const) : ('dead' as const),
          ...(hb && { startedAt: hb.startedAt }),
          ...(r.lastHeartbeatAt && { lastHeartbeatAt: r.lastHeartbeatAt.toISOString() }),
          tablets: tabletCounts.get(r.serverId) ?? tablets.length,
          diskBytes: tablets.reduce((n, t) => n + t.diskBytes, 0),
          readsPerSec: tablets.reduce((n, t) => n + t.readsPerSec, 0),
          writesPerSec: tablets.reduce((n, t) => n + t.writesPerSec, 0),
          disks: hb ? [...hb.disks] : [],
          ...(hb?.memory && { memory: hb.memory }),
          ...(hb?.leaseRemainingMs !== undefined && { leaseRemainingMs: hb.leaseRemainingMs }),
          draining: draining(r.serverId),
        };
      });
  }
}
