// The master's API for people and tools (DESIGN §9, §12): tables (list,
// create with pre-split rows and a schema, drop, set schema, describe),
// tablets, servers, recent events and the master's own status, tablet
// moves, the balancer and server drains, a server's disks (disk-capacity,
// disk-replica, disk migrations, disk-balance; docs/disks.md) — the routes
// of libs/protocol master-api. Reached as `kdi.admin` on a client
// connected with `master`; the data calls of table handles never go
// through here.
//
// Promises: every reply is validated with the contract's schemas; every
// failure is a KdiError with the master's code (NOT_FOUND for an unknown
// table, ALREADY_EXISTS for a duplicate, INVALID_ARGUMENT naming the bad
// field) or UNAVAILABLE when the master cannot be reached (details.cause
// ECONNREFUSED: the request was not sent); an AbortSignal and a deadline
// on every call. Reads (list, describe, tablets, servers, events, status)
// (and the migration and balancer reads) are retried on retryable errors
// until the deadline; changes (a move, a balancer run, a drain) are sent
// once, because only the caller knows whether repeating one is safe
// (a create whose answer was lost comes back ALREADY_EXISTS).

import {
  DiskBalanceDecisionsReplySchema,
  DiskBalanceReplySchema,
  DiskCapacityReplySchema,
  DiskMigrationListReplySchema,
  DiskMigrationStatusSchema,
  DiskReplicaReplySchema,
  type DiskBalanceBody,
  type DiskBalanceDecision,
  type DiskBalanceReply,
  type DiskBalanceSettings,
  type DiskCapacityReply,
  type DiskMigrationStatusView,
  type DiskReplicaReply,
  BalancerDecisionsReplySchema,
  BalancerRunReplySchema,
  DrainReplySchema,
  DropTableReplySchema,
  ListMigrationsReplySchema,
  MasterMigrationSchema,
  MoveTabletReplySchema,
  EventsReplySchema,
  ListServersReplySchema,
  ListTablesReplySchema,
  MasterStatusReplySchema,
  SetSchemaReplySchema,
  TableDescriptionSchema,
  TableTabletsReplySchema,
  type BalancerDecision,
  type BalancerSettings,
  type ClusterEvent,
  type DrainReply,
  type MasterMigration,
  type MasterServer,
  type MasterStatusReply,
  type TableDescription,
  type TableSchemaInput,
  type TableSummary,
} from '@kdi/protocol';
import { retryUntilDeadline, type BackoffPolicy } from '../table/backoff.js';
import { inScope, type CallOptions } from '../table/call-scope.js';
import type { Bytes } from '../table/cell-input.js';
import type { ServerPools } from '../table/server-pools.js';
import { checkTableName } from '../table/table-name.js';
import { masterRequest, type MasterRequest } from './master-request.js';
import { encodeSplitRows } from './split-rows.js';

export interface CreateTableOptions extends CallOptions {
  /** Locality groups (default: one wildcard group accepting every family). */
  readonly schema?: TableSchemaInput | undefined;
  /** Pre-split rows: tablet i holds rows up to and including splits[i] (any order; distinct, non-empty). */
  readonly splits?: readonly Bytes[] | undefined;
}

export interface TabletsOptions extends CallOptions {
  /** How tablet bounds are written in the reply: UTF-8 text (default) or base64. */
  readonly encoding?: 'utf8' | 'base64' | undefined;
}

export interface EventsOptions extends CallOptions {
  /** Most events, newest last (the master's default is 100). */
  readonly limit?: number | undefined;
  /** Only events with a larger seq. */
  readonly after?: number | undefined;
}

export interface MoveTabletOptions extends CallOptions {
  /** The server to move it to (default: the master picks the least-loaded other live server that is not draining). */
  readonly target?: string | undefined;
}

export interface BalancerRunOptions extends CallOptions {
  /** Plan only: start no move. */
  readonly dryRun?: boolean | undefined;
}

export interface DecisionsOptions extends CallOptions {
  /** Most decisions, newest first. */
  readonly limit?: number | undefined;
}

export interface DiskOptions extends CallOptions {
  /** Only this disk: its index ("0", "1", …) or absolute path. */
  readonly disk?: string | undefined;
}

export type DiskBalanceOptions = CallOptions & DiskBalanceBody;

export interface AdminContext {
  readonly pools: ServerPools;
  /** The master's base URL, without a trailing slash. */
  readonly masterUrl: string;
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
}

export type SetSchemaResult = ReturnType<typeof SetSchemaReplySchema.parse>;
export type DropTableResult = ReturnType<typeof DropTableReplySchema.parse>;
export type TabletsResult = ReturnType<typeof TableTabletsReplySchema.parse>;

const diskPath = (serverId: string, path: string, disk?: string) =>
  `/v1/servers/${encodeURIComponent(serverId)}${path}${disk === undefined ? '' : `?disk=${encodeURIComponent(disk)}`}`;

const tablePath = (name: string) => `/v1/tables/${encodeURIComponent(checkedName(name))}`;

function checkedName(name: string): string {
  checkTableName(name);
  return name;
}

export class AdminClient {
  constructor(private readonly ctx: AdminContext) {}

  /** The master's base URL. */
  get masterUrl(): string {
    return this.ctx.masterUrl;
  }

  /** Every table with its state, tablet count and bytes. */
  async listTables(opts: CallOptions = {}): Promise<TableSummary[]> {
    return (await this.#read('list tables', opts, (signal) => ({ method: 'GET', path: '/v1/tables', schema: ListTablesReplySchema, signal }))).tables;
  }

  /** Creates table `name` (ALREADY_EXISTS if it exists); its description, tablets in row order. */
  async createTable(name: string, opts: CreateTableOptions = {}): Promise<TableDescription> {
    checkTableName(name);
    const split = opts.splits === undefined ? undefined : encodeSplitRows(opts.splits);
    const body = {
      name,
      ...(opts.schema !== undefined && { schema: opts.schema }),
      ...(split !== undefined && { splits: split.splits, encoding: split.encoding }),
    };
    return this.#once(`create table ${name}`, opts, (signal) => ({ method: 'POST', path: '/v1/tables', body, schema: TableDescriptionSchema, signal }));
  }

  /** Drops table `name`: its tablets are unloaded and its META rows deleted; its files after the GC grace period. */
  async dropTable(name: string, opts: CallOptions = {}): Promise<DropTableResult> {
    return this.#once(`drop table ${name}`, opts, (signal) => ({ method: 'DELETE', path: tablePath(name), schema: DropTableReplySchema, signal }));
  }

  /** Sets the table's schema (validated by the master) and pushes it to the servers serving the table. */
  async setSchema(name: string, schema: TableSchemaInput, opts: CallOptions = {}): Promise<SetSchemaResult> {
    return this.#once(`set schema of ${name}`, opts, (signal) => ({ method: 'PUT', path: `${tablePath(name)}/schema`, body: schema, schema: SetSchemaReplySchema, signal }));
  }

  /** The table, its schema and its tablets (ranges, locations, sizes, state). */
  async describeTable(name: string, opts: TabletsOptions = {}): Promise<TableDescription> {
    const q = opts.encoding === undefined ? '' : `?encoding=${opts.encoding}`;
    return this.#read(`describe table ${name}`, opts, (signal) => ({ method: 'GET', path: tablePath(name) + q, schema: TableDescriptionSchema, signal }));
  }

  /** The table's tablets in row order, as the master sees them (unavailable ones with their reason). */
  async tablets(name: string, opts: TabletsOptions = {}): Promise<TabletsResult> {
    const q = opts.encoding === undefined ? '' : `?encoding=${opts.encoding}`;
    return this.#read(`tablets of ${name}`, opts, (signal) => ({ method: 'GET', path: `${tablePath(name)}/tablets${q}`, schema: TableTabletsReplySchema, signal }));
  }

  /** The tablet servers the master knows, live and dead, with their load. */
  async servers(opts: CallOptions = {}): Promise<MasterServer[]> {
    return (await this.#read('list servers', opts, (signal) => ({ method: 'GET', path: '/v1/servers', schema: ListServersReplySchema, signal }))).servers;
  }

  /** Recent cluster events, oldest first. */
  async events(opts: EventsOptions = {}): Promise<ClusterEvent[]> {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (opts.after !== undefined) q.set('after', String(opts.after));
    const path = q.size === 0 ? '/v1/events' : `/v1/events?${q.toString()}`;
    return (await this.#read('list events', opts, (signal) => ({ method: 'GET', path, schema: EventsReplySchema, signal }))).events;
  }

  /** Asks the master to move a tablet (by its id, as `tablets()` shows it); the move as started (state running), followed with `migration()`. */
  async moveTablet(tabletId: string, opts: MoveTabletOptions = {}): Promise<MasterMigration> {
    const body = opts.target === undefined ? {} : { target: opts.target };
    const path = `/v1/tablets/${encodeURIComponent(tabletId)}/move`;
    return (await this.#once(`move tablet ${tabletId}`, opts, (signal) => ({ method: 'POST', path, body, schema: MoveTabletReplySchema, signal }))).migration;
  }

  /** Tablet moves the master knows: running ones and the last 100 ended, newest first, with the sources' progress. */
  async migrations(opts: CallOptions = {}): Promise<MasterMigration[]> {
    return (await this.#read('list migrations', opts, (signal) => ({ method: 'GET', path: '/v1/migrations', schema: ListMigrationsReplySchema, signal }))).migrations;
  }

  /** One move (NOT_FOUND once the master has forgotten it, or after a master failover). */
  async migration(migrationId: string, opts: CallOptions = {}): Promise<MasterMigration> {
    const path = `/v1/migrations/${encodeURIComponent(migrationId)}`;
    return this.#read(`migration ${migrationId}`, opts, (signal) => ({ method: 'GET', path, schema: MasterMigrationSchema, signal }));
  }

  /** Runs the balancer now: its decision (moves with reasons and figures); with dryRun the moves are planned, not started. */
  async runBalancer(opts: BalancerRunOptions = {}): Promise<BalancerDecision> {
    const body = { dryRun: opts.dryRun === true };
    return (await this.#once('run the balancer', opts, (signal) => ({ method: 'POST', path: '/v1/balancer/run', body, schema: BalancerRunReplySchema, signal }))).decision;
  }

  /** The balancer's recent decisions, newest first, and its settings. */
  async balancerDecisions(opts: DecisionsOptions = {}): Promise<{ decisions: BalancerDecision[]; settings: BalancerSettings }> {
    const path = opts.limit === undefined ? '/v1/balancer/decisions' : `/v1/balancer/decisions?limit=${opts.limit}`;
    return this.#read('balancer decisions', opts, (signal) => ({ method: 'GET', path, schema: BalancerDecisionsReplySchema, signal }));
  }

  /** Drains a server (draining: true; no new tablets, its tablets moved off) or ends its drain (false). */
  async drainServer(serverId: string, draining: boolean = true, opts: CallOptions = {}): Promise<DrainReply> {
    const path = `/v1/servers/${encodeURIComponent(serverId)}/drain`;
    return this.#once(`${draining ? 'drain' : 'end the drain of'} ${serverId}`, opts, (signal) => ({
      method: draining ? 'POST' : 'DELETE',
      path,
      schema: DrainReplySchema,
      signal,
    }));
  }

  /** disk-capacity of a server (by id, through the master): each disk's figures, state and tablets. */
  async diskCapacity(serverId: string, opts: DiskOptions = {}): Promise<DiskCapacityReply> {
    const path = diskPath(serverId, '/disks', opts.disk);
    return this.#read(`disk capacity of ${serverId}`, opts, (signal) => ({ method: 'GET', path, schema: DiskCapacityReplySchema, signal }));
  }

  /** disk-replica of a server: the tablets on each disk with their bytes there. */
  async diskReplica(serverId: string, opts: DiskOptions = {}): Promise<DiskReplicaReply> {
    const path = diskPath(serverId, '/disks/tablets', opts.disk);
    return this.#read(`disk replicas of ${serverId}`, opts, (signal) => ({ method: 'GET', path, schema: DiskReplicaReplySchema, signal }));
  }

  /** Starts moving a tablet's files to another disk of its server (disks by index or path); its first status. Sent once. */
  async startDiskMigration(serverId: string, body: { tablet: string; from: string; to: string }, opts: CallOptions = {}): Promise<DiskMigrationStatusView> {
    const path = diskPath(serverId, '/disk-migrations');
    return this.#once(`disk-migrate ${body.tablet} on ${serverId}`, opts, (signal) => ({ method: 'POST', path, body, schema: DiskMigrationStatusSchema, signal }));
  }

  /** A tablet's disk migration on a server: running, or the last that ended (NOT_FOUND if it never had one). */
  async diskMigration(serverId: string, tablet: string, opts: CallOptions = {}): Promise<DiskMigrationStatusView> {
    const path = diskPath(serverId, `/disk-migrations/${encodeURIComponent(tablet)}`);
    return this.#read(`disk migration of ${tablet} on ${serverId}`, opts, (signal) => ({ method: 'GET', path, schema: DiskMigrationStatusSchema, signal }));
  }

  /** A server's disk migrations: running ones and the last of each tablet. */
  async diskMigrations(serverId: string, opts: CallOptions = {}): Promise<DiskMigrationStatusView[]> {
    const path = diskPath(serverId, '/disk-migrations');
    return (await this.#read(`disk migrations of ${serverId}`, opts, (signal) => ({ method: 'GET', path, schema: DiskMigrationListReplySchema, signal }))).migrations;
  }

  /** disk-balance of a server: the plan and (unless dryRun) the first move started. Sent once. */
  async diskBalance(serverId: string, opts: DiskBalanceOptions = {}): Promise<DiskBalanceReply> {
    const body = {
      dryRun: opts.dryRun === true,
      ...(opts.usageFloor !== undefined && { usageFloor: opts.usageFloor }),
      ...(opts.skewThreshold !== undefined && { skewThreshold: opts.skewThreshold }),
      ...(opts.minTabletBytes !== undefined && { minTabletBytes: opts.minTabletBytes }),
    };
    const path = diskPath(serverId, '/disk-balance');
    return this.#once(`disk-balance ${serverId}`, opts, (signal) => ({ method: 'POST', path, body, schema: DiskBalanceReplySchema, signal }));
  }

  /** The automatic disk balance's decisions, newest first, and its settings. */
  async diskBalanceDecisions(opts: DecisionsOptions = {}): Promise<{ decisions: DiskBalanceDecision[]; settings: DiskBalanceSettings }> {
    const path = opts.limit === undefined ? '/v1/disk-balance/decisions' : `/v1/disk-balance/decisions?limit=${opts.limit}`;
    return this.#read('disk balance decisions', opts, (signal) => ({ method: 'GET', path, schema: DiskBalanceDecisionsReplySchema, signal }));
  }

  /** This master: active or standby, and counts of tables, servers and tablets. */
  async masterStatus(opts: CallOptions = {}): Promise<MasterStatusReply> {
    return this.#read('master status', opts, (signal) => ({ method: 'GET', path: '/v1/master', schema: MasterStatusReplySchema, signal }));
  }

  #read<T>(what: string, opts: CallOptions, req: (signal: AbortSignal) => MasterRequest<T>): Promise<T> {
    return inScope(what, opts, this.ctx.timeoutMs, (scope) =>
      retryUntilDeadline(scope, this.ctx.backoff, () => masterRequest(this.ctx.pools, this.ctx.masterUrl, req(scope.signal))),
    );
  }

  #once<T>(what: string, opts: CallOptions, req: (signal: AbortSignal) => MasterRequest<T>): Promise<T> {
    return inScope(what, opts, this.ctx.timeoutMs, (scope) => masterRequest(this.ctx.pools, this.ctx.masterUrl, req(scope.signal)));
  }
}
