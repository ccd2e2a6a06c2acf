// A tablet server's migrations (DESIGN §10, docs/migration.md): the book
// of moves it drives and receives, the source driver and the target
// receiver, with the settings they share. Built once per server
// (node/tablet-node.ts, or buildApp for an app without a node); the
// routes (routes/migrations.ts) call it.

import type { TabletServer } from '../tablets/tablet-server.js';
import type { ServerLogger } from '../tablets/tablet-types.js';
import { crashPoints, pausePoints } from './crash-point.js';
import { MigrationBook } from './migration-book.js';
import { MigrationSource } from './migration-source.js';
import { MigrationTarget } from './migration-target.js';

export interface MigrationsOptions {
  readonly server: TabletServer;
  /** The engine's directory: temp directories go under <dataDir>/migrations/. */
  readonly dataDir: string;
  readonly clusterSecret: string;
  /** KDI_TS_MIGRATION_FREEZE_MS */
  readonly freezeMs: number;
  /** KDI_TS_MIGRATION_IDLE_MS */
  readonly idleMs: number;
  /** KDI_TS_MIGRATION_CRASH_AT (test-only, crash-point.ts). */
  readonly crashAt?: string | undefined;
  /** KDI_TS_MIGRATION_PAUSE_AT, KDI_TS_MIGRATION_PAUSE_MS (test-only, crash-point.ts). */
  readonly pauseAt?: string | undefined;
  readonly pauseMs?: number | undefined;
  readonly logger: ServerLogger & { error(obj: object, msg: string): void };
}

export class Migrations {
  readonly book = new MigrationBook();
  readonly source: MigrationSource;
  readonly target: MigrationTarget;
  private url: string | undefined;

  constructor(o: MigrationsOptions) {
    const crash = crashPoints(o.crashAt, o.logger);
    const selfUrl = () => this.url;
    const pause = pausePoints(o.pauseAt, o.pauseMs ?? 3000, o.logger);
    this.source = new MigrationSource({ server: o.server, book: this.book, clusterSecret: o.clusterSecret, freezeMs: o.freezeMs, selfUrl, crash, pause, logger: o.logger });
    this.target = new MigrationTarget({ server: o.server, book: this.book, dataDir: o.dataDir, idleMs: o.idleMs, selfUrl, crash, pause, logger: o.logger });
  }

  /** This server's URL (once it listens and joins). */
  serveAt(url: string): void {
    this.url = url;
  }

  /** Removes temp directories a restart ended; starts the idle sweep. */
  start(): Promise<void> {
    return this.target.start();
  }

  async close(): Promise<void> {
    await this.source.close();
    await this.target.close();
  }
}
