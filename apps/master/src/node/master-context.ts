// What the master's parts share (one object, built by master.ts): the
// configuration, the lock-service client and election, META access, the
// server registry, the drains, the admin client, the event log and the logger.

import type { LockClient, MetaRouter, MetaTableClient } from '@kdi/client-sdk';
import type { FastifyBaseLogger } from 'fastify';
import type { AdminClient } from '../cluster/admin-client.js';
import type { MasterConfig } from '../config.js';
import type { Election } from '../election/election.js';
import type { EventLog } from '../events/event-log.js';
import type { DrainSet } from '../servers/drain-set.js';
import type { ServerRegistry } from '../servers/server-registry.js';

export interface MasterContext {
  readonly config: MasterConfig;
  /** This master's advertised URL. */
  readonly url: string;
  readonly lock: LockClient;
  readonly election: Election;
  readonly metaRows: MetaRouter;
  readonly meta: MetaTableClient;
  readonly registry: ServerRegistry;
  /** Servers being drained: no new tablets, their tablets moved off. */
  readonly drains: DrainSet;
  readonly admin: AdminClient;
  readonly events: EventLog;
  readonly log: FastifyBaseLogger;
  /** How long after a server's file is gone its tablets may move: the lock-delay (fallback: the lease TTL). */
  lockDelayMs(): number;
  /** Runs the reconcile loop soon (after a change). */
  kick(): void;
}
