// Runs one parsed command against the cluster through the SDK
// (connect({ master }): the master's API for tables, servers, tablets and
// events; the tablet servers directly for put, get, erase and scan — never
// the master's gateway) and prints the result, human or --json. Returns the
// exit status; failures are thrown and described by failure.ts.

import { KdiClient, type AdminClient, type Table } from '@kdi/client-sdk';
import { DEFAULT_TABLE_SCHEMA, type Cell, type DiskMigrationStatusView, type MasterMigration, type Predicate, type TableSchemaInput } from '@kdi/protocol';
import type { Command, GlobalOptions } from './args/invocation.js';
import { UsageError } from './args/usage-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { cellJson, CELL_LINE } from './format/cell-text.js';
import { decisionView, drainView, migrationsView, moveEndedView, moveFraction, moveStartedView, progressBar, progressText } from './format/migration-views.js';
import {
  diskBalanceView,
  diskCapacityView,
  diskMigrationEndedView,
  diskMigrationFraction,
  diskMigrationProgress,
  diskMigrationStartedView,
  diskReplicaView,
} from './format/disk-views.js';
import { cellsView, createdView, droppedView, eventsView, schemaSetView, serversView, tablesView, tabletsView } from './format/views.js';
import type { CliIo } from './io.js';
import { readSchemaArgument } from './schema-argument.js';

/** How long the first call may take to find the master before kdi says it cannot reach the cluster. */
const REACH_TIMEOUT_MS = 3_000;
/** How often kdi move asks how its move is doing. */
const MOVE_POLL_MS = 500;
/** How often kdi disk-migrate asks how its migration is doing. */
const DISK_POLL_MS = 250;

type DataCommand = Extract<Command, { name: 'put' | 'get' | 'erase' | 'scan' }>;
type AdminCommand = Exclude<Command, DataCommand | { name: 'help' }>;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export async function execute(global: GlobalOptions, command: Exclude<Command, { name: 'help' }>, io: CliIo): Promise<ExitCode> {
  // Checked before any request: a bad schema file or a missing --yes is a usage error even with no cluster.
  const schema = 'schema' in command && command.schema !== undefined ? await readSchemaArgument(command.schema, io.readFile, command.name) : undefined;
  if (command.name === 'tables drop' && !command.yes) await confirmDrop(command.table, io);

  const kdi = new KdiClient({ master: global.master, token: global.token });
  try {
    // One quick call first, so a cluster that is not running is reported in seconds, not after every retry.
    await kdi.admin.masterStatus({ timeoutMs: REACH_TIMEOUT_MS });
    if (command.name === 'put' || command.name === 'get' || command.name === 'erase' || command.name === 'scan') {
      await kdi.ready();
      return await data(kdi.table(command.table), command, global.json, io);
    }
    return await admin(kdi, command, schema, global.json, io);
  } finally {
    await kdi.close();
  }
}

async function confirmDrop(table: string, io: CliIo): Promise<void> {
  const question = `Drop table ${table}? Its tablets are unloaded and its files deleted after the grace period. [y/N] `;
  if (io.confirm === undefined) throw new UsageError(`tables drop deletes the data of ${table}: pass --yes to confirm (no terminal to ask on)`, 'tables drop');
  if (!(await io.confirm(question))) throw new UsageError(`not dropping ${table}`, 'tables drop');
}

async function admin(kdi: KdiClient, c: AdminCommand, schema: unknown, asJson: boolean, io: CliIo): Promise<ExitCode> {
  const a = kdi.admin;
  switch (c.name) {
    case 'tables ls': {
      const tables = await a.listTables();
      await io.out(asJson ? json({ tables }) : `${tablesView(tables)}\n`);
      return EXIT.OK;
    }
    case 'tables create': {
      const d = await a.createTable(c.table, { splits: c.splits, ...(schema !== undefined && { schema: schema as TableSchemaInput }) });
      await io.out(asJson ? json(d) : `${createdView(d)}\n`);
      return EXIT.OK;
    }
    case 'tables drop': {
      const r = await a.dropTable(c.table);
      await io.out(asJson ? json(r) : `${droppedView(r)}\n`);
      return EXIT.OK;
    }
    case 'tables schema': {
      if (schema !== undefined) {
        const r = await a.setSchema(c.table, schema as TableSchemaInput);
        await io.out(asJson ? json(r) : `${schemaSetView(r)}\n`);
        return EXIT.OK;
      }
      const d = await a.describeTable(c.table);
      // Absent means the default: one wildcard group (printed, so the output can be edited and set back).
      const current = d.schema ?? DEFAULT_TABLE_SCHEMA;
      await io.out(asJson ? json({ name: d.name, schema: current }) : json(current));
      return EXIT.OK;
    }
    case 'servers': {
      const servers = await a.servers();
      await io.out(asJson ? json({ servers }) : `${serversView(servers)}\n`);
      return EXIT.OK;
    }
    case 'tablets': {
      const r = await a.tablets(c.table);
      await io.out(asJson ? json(r) : `${tabletsView(r.tablets)}\n`);
      return EXIT.OK;
    }
    case 'events': {
      const events = await a.events({ limit: c.limit });
      await io.out(asJson ? json({ events }) : `${eventsView(events)}\n`);
      return EXIT.OK;
    }
    case 'move': {
      const started = await a.moveTablet(c.tabletId, { target: c.to });
      if (!c.wait) {
        await io.out(asJson ? json({ migration: started }) : `${moveStartedView(started)}\n(follow it with: kdi migrations)\n`);
        return EXIT.OK;
      }
      if (!asJson) await io.out(`${moveStartedView(started)}\n`);
      const ended = await follow(a, started, asJson, io);
      await io.out(asJson ? json({ migration: ended }) : `${moveEndedView(ended)}\n`);
      return ended.state === 'committed' ? EXIT.OK : EXIT.MOVE_ABORTED;
    }
    case 'migrations': {
      const migrations = await a.migrations();
      await io.out(asJson ? json({ migrations }) : `${migrationsView(migrations)}\n`);
      return EXIT.OK;
    }
    case 'balance': {
      const decision = await a.runBalancer({ dryRun: c.dryRun });
      await io.out(asJson ? json({ decision }) : `${decisionView(decision)}\n`);
      return EXIT.OK;
    }
    case 'drain': {
      const r = await a.drainServer(c.serverId, !c.undo);
      await io.out(asJson ? json(r) : `${drainView(r)}\n`);
      return EXIT.OK;
    }
    case 'disk-capacity': {
      const r = await a.diskCapacity(c.node, { disk: c.disk });
      await io.out(asJson ? json(r) : `${diskCapacityView(r)}\n`);
      return EXIT.OK;
    }
    case 'disk-replica': {
      const r = await a.diskReplica(c.node, { disk: c.disk });
      await io.out(asJson ? json(r) : `${diskReplicaView(r)}\n`);
      return EXIT.OK;
    }
    case 'disk-migrate': {
      const started = await a.startDiskMigration(c.node, { tablet: c.tablet, from: c.from, to: c.to });
      if (!c.wait) {
        await io.out(asJson ? json({ serverId: c.node, migration: started }) : `${diskMigrationStartedView(c.node, started)}\n`);
        return EXIT.OK;
      }
      if (!asJson) await io.out(`${diskMigrationStartedView(c.node, started)}\n`);
      const ended = await followDisk(a, c.node, started, asJson, io);
      await io.out(asJson ? json({ serverId: c.node, migration: ended }) : `${diskMigrationEndedView(ended)}\n`);
      return ended.state === 'COMPLETED' && ended.error === undefined ? EXIT.OK : EXIT.MOVE_ABORTED;
    }
    case 'disk-balance': {
      const r = await a.diskBalance(c.node, { dryRun: c.dryRun });
      await io.out(asJson ? json(r) : `${diskBalanceView(r)}\n`);
      return EXIT.OK;
    }
  }
}

/**
 * Polls a disk migration until it ends: a progress bar (bytes copied of
 * bytes) on the terminal's status line (stderr) when there is one, else
 * (human output) one line each time the state changes. Returns the ended
 * status.
 */
async function followDisk(a: AdminClient, node: string, started: DiskMigrationStatusView, asJson: boolean, io: CliIo): Promise<DiskMigrationStatusView> {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let s = started;
  let lastState: string | undefined;
  try {
    while (s.endedAtMs === undefined) {
      if (io.status !== undefined) io.status(`${progressBar(diskMigrationFraction(s))} ${diskMigrationProgress(s)}`);
      else if (!asJson && s.state !== lastState) {
        lastState = s.state;
        await io.out(`${diskMigrationProgress(s)}\n`);
      }
      await sleep(DISK_POLL_MS);
      s = await a.diskMigration(node, s.tablet);
    }
  } finally {
    io.status?.('');
  }
  return s;
}

/**
 * Polls a move until it ends: a progress bar on the terminal's status line
 * when there is one, else (human output) one line each time the step
 * changes. Returns the ended move.
 */
async function follow(a: AdminClient, started: MasterMigration, asJson: boolean, io: CliIo): Promise<MasterMigration> {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let m = started;
  let lastStep: string | undefined;
  try {
    while (m.state === 'running') {
      if (io.status !== undefined) io.status(`${progressBar(moveFraction(m))} ${progressText(m)}`);
      else if (!asJson && m.progress !== undefined && m.progress.step !== lastStep) {
        lastStep = m.progress.step;
        await io.out(`${progressText(m)}\n`);
      }
      await sleep(MOVE_POLL_MS);
      m = await a.migration(m.migrationId);
    }
  } finally {
    io.status?.('');
  }
  return m;
}

async function data(t: Table, c: DataCommand, asJson: boolean, io: CliIo): Promise<ExitCode> {
  switch (c.name) {
    case 'put': {
      const timestamp = c.timestamp ?? io.nowMicros();
      const r = await t.apply([{ row: c.row, column: c.column, timestamp, value: c.value }], { waitForSync: true });
      const where = r.parts[0];
      await io.out(
        asJson
          ? json({ table: t.name, row: c.row, column: c.column, timestamp, commitTxn: r.commitTxn, serverId: where?.serverId })
          : `put ${t.name} ${JSON.stringify(c.row)} ${JSON.stringify(c.column)} at timestamp ${timestamp} (txn ${r.commitTxn} on ${where?.serverId ?? '?'})\n`,
      );
      return EXIT.OK;
    }
    case 'get': {
      const cells = await t.get(c.row, { columns: c.column === undefined ? undefined : [c.column] });
      if (asJson) await io.out(json(cells.map(cellJson)));
      else if (cells.length > 0) await io.out(`${cellsView(cells)}\n`);
      if (cells.length > 0) return EXIT.OK;
      io.err(`kdi: no cell in ${t.name} at row ${JSON.stringify(c.row)}${c.column === undefined ? '' : ` column ${JSON.stringify(c.column)}`}\n`);
      return EXIT.NOT_FOUND;
    }
    case 'erase': {
      const timestamps = c.timestamp !== undefined ? [c.timestamp] : (await versions(t, c.row, c.column)).map((v) => v.timestamp);
      if (timestamps.length === 0) {
        if (asJson) await io.out(json({ table: t.name, row: c.row, column: c.column, erased: [] }));
        io.err(`kdi: nothing to erase: no cell in ${t.name} at row ${JSON.stringify(c.row)} column ${JSON.stringify(c.column)}\n`);
        return EXIT.NOT_FOUND;
      }
      await t.apply(
        timestamps.map((timestamp) => ({ row: c.row, column: c.column, timestamp, value: null })),
        { waitForSync: true },
      );
      await io.out(
        asJson
          ? json({ table: t.name, row: c.row, column: c.column, erased: timestamps })
          : `erased ${timestamps.length === 1 ? 'the version' : `${timestamps.length} versions`} of ${t.name} ${JSON.stringify(c.row)} ${JSON.stringify(c.column)} at ${timestamps.join(', ')}\n`,
      );
      return EXIT.OK;
    }
    case 'scan': {
      const line = CELL_LINE[c.format];
      let n = 0;
      for await (const cell of t.scan(c.predicate)) {
        await io.out(`${line(cell)}\n`);
        if (c.limit !== undefined && ++n >= c.limit) break;
      }
      return EXIT.OK;
    }
  }
}

/** Every stored version of one cell (newest first). */
async function versions(t: Table, row: string, column: string): Promise<Cell[]> {
  const exact = (s: string) => {
    const value = Buffer.from(s, 'utf8');
    return [{ lower: { value, inclusive: true }, upper: { value, inclusive: true } }];
  };
  const p: Predicate = { rows: exact(row), columns: exact(column) };
  const out: Cell[] = [];
  for await (const cell of t.scan(p)) out.push(cell);
  return out;
}
