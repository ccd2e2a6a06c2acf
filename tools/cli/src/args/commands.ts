// Every `kdi` command (DESIGN §13): its words, arguments, options, help
// text and how its checked arguments become a Command. One table, so the
// parser, `kdi help` and the README cannot disagree about a command.

import * as check from './checks.js';
import type { Command, ScanFormat } from './invocation.js';
import { UsageError } from './usage-error.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder of the value in help, e.g. ROW. */
  readonly value?: string;
  readonly help: string;
  /** The command cannot run without it (shown without brackets in the usage line). */
  readonly required?: boolean;
}

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface CommandSpec {
  /** The command words, e.g. 'tables create'. */
  readonly name: string;
  /** Positional arguments; a trailing '?' marks an optional one. */
  readonly args: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** The Command; `json` is the global --json (scan's default format follows it). */
  build(args: readonly string[], values: OptionValues, json: boolean): Command;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  master: { type: 'string', value: 'URL', help: "The master's URL (default: $KDI_MASTER or http://127.0.0.1:7000)" },
  token: { type: 'string', value: 'TOKEN', help: 'Bearer token sent with every request (default: $KDI_TOKEN)' },
  json: { type: 'boolean', help: 'Machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
};

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: OptionValues[string]): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const FORMATS: readonly ScanFormat[] = ['tuple', 'json', 'tsv'];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'tables ls',
    args: [],
    summary: 'List the tables with their state, tablets and size',
    options: {},
    examples: ['kdi tables ls', 'kdi tables ls --json'],
    build: () => ({ name: 'tables ls' }),
  },
  {
    name: 'tables create',
    args: ['TABLE'],
    summary: 'Create a table, optionally pre-split and with a schema',
    description:
      'Each --split ROW starts a new tablet after ROW (a tablet holds rows up to and including its split row). Without --schema the table has one locality group accepting every column family.',
    options: {
      split: { type: 'string', multiple: true, value: 'ROW', help: 'Pre-split the table after ROW (repeat for more tablets)' },
      schema: { type: 'string', value: 'FILE|JSON', help: 'Locality groups, as a JSON file or inline JSON ({"groups":[...]})' },
    },
    examples: ['kdi tables create webtable', 'kdi tables create webtable --split g --split p', 'kdi tables create webtable --schema schema.json'],
    build: ([table], v) => ({ name: 'tables create', table: check.tableName(table!, 'tables create'), splits: strs(v['split']), schema: str(v['schema']) }),
  },
  {
    name: 'tables drop',
    args: ['TABLE'],
    summary: 'Drop a table and, after the GC grace period, its files',
    description: 'Asks for confirmation on a terminal; scripts pass --yes.',
    options: { yes: { type: 'boolean', short: 'y', help: 'Do not ask for confirmation' } },
    examples: ['kdi tables drop webtable --yes'],
    build: ([table], v) => ({ name: 'tables drop', table: check.tableName(table!, 'tables drop'), yes: v['yes'] === true }),
  },
  {
    name: 'tables schema',
    args: ['TABLE', 'SCHEMA?'],
    summary: "Print a table's schema, or set it from a JSON file or inline JSON",
    description: 'Without SCHEMA prints the schema as JSON (the form SCHEMA takes back). With SCHEMA sets it and pushes it to the servers serving the table.',
    options: {},
    examples: ['kdi tables schema webtable > schema.json', 'kdi tables schema webtable schema.json', `kdi tables schema webtable '{"groups":[{"name":"default","families":"*"}]}'`],
    build: ([table, schema]) => ({ name: 'tables schema', table: check.tableName(table!, 'tables schema'), schema }),
  },
  {
    name: 'put',
    args: ['TABLE', 'ROW', 'COLUMN', 'VALUE'],
    summary: 'Write one cell (durable when the command returns)',
    options: { timestamp: { type: 'string', value: 'N', help: 'Cell timestamp in microseconds since the epoch (default: now)' } },
    examples: ['kdi put webtable com.cnn.www contents: "<html>..."', 'kdi put webtable com.cnn.www anchor:cnnsi.com CNN --timestamp 9'],
    build: ([table, row, column, value], v) => ({
      name: 'put',
      table: check.tableName(table!, 'put'),
      row: row!,
      column: column!,
      value: value!,
      timestamp: check.timestamp(str(v['timestamp']), 'put'),
    }),
  },
  {
    name: 'get',
    args: ['TABLE', 'ROW', 'COLUMN?'],
    summary: "Read a row's newest cells (or one column's); exit status 4 when there is none",
    options: {},
    examples: ['kdi get webtable com.cnn.www', 'kdi get webtable com.cnn.www contents: --json'],
    build: ([table, row, column]) => ({ name: 'get', table: check.tableName(table!, 'get'), row: row!, column }),
  },
  {
    name: 'erase',
    args: ['TABLE', 'ROW', 'COLUMN'],
    summary: 'Erase a cell: the version at --timestamp, or every stored version of the column',
    options: { timestamp: { type: 'string', value: 'N', help: 'Erase only the version with this timestamp' } },
    examples: ['kdi erase webtable com.cnn.www anchor:cnnsi.com', 'kdi erase webtable com.cnn.www contents: --timestamp 9'],
    build: ([table, row, column], v) => ({
      name: 'erase',
      table: check.tableName(table!, 'erase'),
      row: row!,
      column: column!,
      timestamp: check.timestamp(str(v['timestamp']), 'erase'),
    }),
  },
  {
    name: 'scan',
    args: ['TABLE'],
    summary: 'Print the cells matching a predicate, in key order',
    description:
      'Predicates (DESIGN §3): row ranges, column families and history, e.g. "row ~= \'com.cnn\' and history = 1". Formats: tuple ("row", "column", timestamp, "value"); json: one JSON cell per line; tsv: row, column, timestamp, value separated by tabs (\\t, \\n, \\\\ escaped). Bytes that are not UTF-8 are written \\xNN (json: the whole cell in base64 with "encoding":"base64").',
    options: {
      predicate: { type: 'string', short: 'p', value: 'PRED', help: 'Only cells matching PRED (default: every cell, every version)' },
      format: { type: 'string', value: 'tuple|json|tsv', help: 'Output format (default tuple; json with --json)' },
      limit: { type: 'string', value: 'N', help: 'Stop after N cells' },
    },
    examples: ['kdi scan webtable -p "row ~= \'com.cnn\' and history = 1"', 'kdi scan webtable --format tsv --limit 100'],
    build: ([table], v, json) => {
      const format = str(v['format']) ?? (json ? 'json' : 'tuple');
      if (!FORMATS.includes(format as ScanFormat)) throw new UsageError(`--format ${JSON.stringify(format)} is not one of ${FORMATS.join(', ')}`, 'scan');
      return {
        name: 'scan',
        table: check.tableName(table!, 'scan'),
        predicate: check.predicate(str(v['predicate']), 'scan'),
        format: format as ScanFormat,
        limit: check.positiveInt('--limit', str(v['limit']), 'scan'),
      };
    },
  },
  {
    name: 'servers',
    args: [],
    summary: 'List the tablet servers with their state, tablets and load',
    options: {},
    examples: ['kdi servers', 'kdi servers --json'],
    build: () => ({ name: 'servers' }),
  },
  {
    name: 'tablets',
    args: ['TABLE'],
    summary: "List a table's tablets: range, state, server, size (unavailable ones with the reason)",
    options: {},
    examples: ['kdi tablets webtable'],
    build: ([table]) => ({ name: 'tablets', table: check.tableName(table!, 'tablets') }),
  },
  {
    name: 'events',
    args: [],
    summary: 'Recent cluster events (elections, servers joining and dying, tables, assignments), oldest first',
    options: { limit: { type: 'string', value: 'N', help: 'At most N events, the newest (default: the master keeps 100)' } },
    examples: ['kdi events --limit 20'],
    build: (_args, v) => ({ name: 'events', limit: check.positiveInt('--limit', str(v['limit']), 'events') }),
  },
  {
    name: 'move',
    args: ['TABLET'],
    summary: 'Move a tablet to another server while it keeps serving; waits for the outcome',
    description:
      'TABLET is the tablet id kdi tablets TABLE shows. Without --to the master picks the least-loaded other live server that is not draining. ' +
      'Waits until the move is committed or aborted, with a progress bar on a terminal (one line per step otherwise); exit status 5 when it was aborted. ' +
      '--no-wait returns once the move has started (follow it with kdi migrations).',
    options: {
      to: { type: 'string', value: 'SERVER', help: 'The server to move it to (default: the master picks)' },
      'no-wait': { type: 'boolean', help: 'Return once the move has started' },
    },
    examples: ['kdi move web-3f2a --to ts-2', 'kdi move web-3f2a --no-wait --json'],
    build: ([tablet], v) => ({
      name: 'move',
      tabletId: check.id('tablet id', tablet!, 'move'),
      to: str(v['to']) === undefined ? undefined : check.id('--to', str(v['to'])!, 'move'),
      wait: v['no-wait'] !== true,
    }),
  },
  {
    name: 'migrations',
    args: [],
    summary: 'Tablet moves: running ones with their progress, and the last 100 ended with their outcome',
    options: {},
    examples: ['kdi migrations', 'kdi migrations --json'],
    build: () => ({ name: 'migrations' }),
  },
  {
    name: 'balance',
    args: [],
    summary: 'Run the balancer now and print its plan with the reason for each move',
    description:
      'The balancer moves tablets off draining servers, then from the most to the least loaded server while the skew in bytes or requests/s is above ' +
      'its threshold, at most a few moves at once, and merges adjacent small tablets when the master has merges on. --dry-run prints the plan and starts nothing.',
    options: { 'dry-run': { type: 'boolean', help: 'Plan only: start no move' } },
    examples: ['kdi balance --dry-run', 'kdi balance --json'],
    build: (_args, v) => ({ name: 'balance', dryRun: v['dry-run'] === true }),
  },
  {
    name: 'drain',
    args: ['SERVER'],
    summary: 'Drain a server: it gets no new tablets and its tablets are moved off (--undo ends it)',
    description: 'Returns at once; kdi servers shows the server draining and its tablet count falling to 0, when it may be stopped. META is not moved.',
    options: { undo: { type: 'boolean', help: 'End the drain: the server takes tablets again' } },
    examples: ['kdi drain ts-3', 'kdi drain ts-3 --undo'],
    build: ([server], v) => ({ name: 'drain', serverId: check.id('server id', server!, 'drain'), undo: v['undo'] === true }),
  },
  {
    name: 'disk-capacity',
    args: [],
    summary: "A server's disks: capacity, used, free and KDI bytes, usage, state and tablets",
    description:
      'NODE is a server id as kdi servers shows it (asked through the master). Used is what the filesystem reports (KDI files and others); ' +
      'state is ok, high-water (at or above the high-water mark: no new fragments there) or full (a write failed for lack of space).',
    options: {
      node: { type: 'string', short: 'n', value: 'NODE', help: 'The server (its id)', required: true },
      disk: { type: 'string', short: 'd', value: 'DISK', help: 'Only this disk: its index (0, 1, …) or absolute path' },
    },
    examples: ['kdi disk-capacity -n ts-1', 'kdi disk-capacity -n ts-1 -d 1 --json'],
    build: (_args, v) => ({
      name: 'disk-capacity',
      node: check.id('-n/--node', check.required('-n/--node NODE', str(v['node']), 'disk-capacity'), 'disk-capacity'),
      disk: check.disk('-d/--disk', str(v['disk']), 'disk-capacity'),
    }),
  },
  {
    name: 'disk-replica',
    args: [],
    summary: "The tablets on each of a server's disks, with their bytes there",
    description: 'A tablet with files on two disks (during a disk migration, or placed so) is listed on each; "home" marks the disk its new fragments go to.',
    options: {
      node: { type: 'string', short: 'n', value: 'NODE', help: 'The server (its id)', required: true },
      disk: { type: 'string', short: 'd', value: 'DISK', help: 'Only this disk: its index (0, 1, …) or absolute path' },
    },
    examples: ['kdi disk-replica -n ts-1', 'kdi disk-replica -n ts-1 -d 0 --json'],
    build: (_args, v) => ({
      name: 'disk-replica',
      node: check.id('-n/--node', check.required('-n/--node NODE', str(v['node']), 'disk-replica'), 'disk-replica'),
      disk: check.disk('-d/--disk', str(v['disk']), 'disk-replica'),
    }),
  },
  {
    name: 'disk-migrate',
    args: [],
    summary: "Move a tablet's files from one disk of its server to another while it keeps serving; waits for the outcome",
    description:
      'IDLE → MOVING (copy) → MOVED → CLOSED (swap) → COMPLETED. Waits with a progress bar on a terminal (one line per state it sees otherwise: a short state may pass between two polls); exit status 5 when it ' +
      'ended with an error (the tablet stays on DISK1). --no-wait returns once it has started (follow it with kdi disk-replica -n NODE, ' +
      'or GET /v1/servers/NODE/disk-migrations/TABLET on the master). Refused (exit 1, or 4 for an unknown tablet): the same disk twice, an unknown disk, a tablet with no file on DISK1, one already migrating.',
    options: {
      node: { type: 'string', short: 'n', value: 'NODE', help: 'The server (its id)', required: true },
      tablet: { type: 'string', short: 'g', value: 'TABLET', help: 'The tablet id (kdi tablets TABLE, kdi disk-replica show it)', required: true },
      from: { type: 'string', short: 'f', value: 'DISK1', help: 'The disk it is on: index or absolute path', required: true },
      to: { type: 'string', short: 't', value: 'DISK2', help: 'The disk to move it to: index or absolute path', required: true },
      'no-wait': { type: 'boolean', help: 'Return once the migration has started' },
    },
    examples: ['kdi disk-migrate -n ts-1 -g web-3f2a -f 0 -t 1', 'kdi disk-migrate -n ts-1 -g web-3f2a -f /data/a -t /data/b --no-wait --json'],
    build: (_args, v) => {
      const c = 'disk-migrate';
      return {
        name: c,
        node: check.id('-n/--node', check.required('-n/--node NODE', str(v['node']), c), c),
        tablet: check.id('-g/--tablet', check.required('-g/--tablet TABLET', str(v['tablet']), c), c),
        from: check.disk('-f/--from', check.required('-f/--from DISK1', str(v['from']), c), c)!,
        to: check.disk('-t/--to', check.required('-t/--to DISK2', str(v['to']), c), c)!,
        wait: v['no-wait'] !== true,
      };
    },
  },
  {
    name: 'disk-balance',
    args: [],
    summary: "Even out a server's disks: plan moves with the reason for each, and start the first",
    description:
      'Nothing to do while the fullest disk is under 50% or the disks differ by 10 points of usage or less; otherwise the largest tablet of at least 64 MiB ' +
      'that fits without overshooting the mean usage moves to the disk with the most room. One move at a time: run it again once the move has ended. ' +
      '--dry-run prints the plan and starts nothing.',
    options: {
      node: { type: 'string', short: 'n', value: 'NODE', help: 'The server (its id)', required: true },
      'dry-run': { type: 'boolean', help: 'Plan only: start no move' },
    },
    examples: ['kdi disk-balance -n ts-1 --dry-run', 'kdi disk-balance -n ts-1 --json'],
    build: (_args, v) => ({
      name: 'disk-balance',
      node: check.id('-n/--node', check.required('-n/--node NODE', str(v['node']), 'disk-balance'), 'disk-balance'),
      dryRun: v['dry-run'] === true,
    }),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Command words that take a sub-command. */
export const GROUPS = ['tables'] as const;
