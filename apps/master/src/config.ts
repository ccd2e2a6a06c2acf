// The master's configuration: one zod schema, validated once at start
// (STYLE: config is schema-validated once and flows down as arguments).
// main.ts is the only reader of process.env; it calls loadConfig(env),
// which maps the KDI_MASTER_* variables below onto the schema and fails
// fast with EVERY bad setting named by its variable.
//
//   KDI_MASTER_HOST                   bind address (127.0.0.1)
//   KDI_MASTER_PORT                   port; 0 = a random free port (7000)
//   KDI_MASTER_URL                    the URL servers and clients reach this master at (default http://HOST:PORT as listening)
//   KDI_MASTER_LOCK_URL               lock server URL — required
//   KDI_MASTER_LOCK_SECRET            the lock server's cluster secret, when it has one
//   KDI_MASTER_CLUSTER_SECRET         the tablet servers' cluster secret (their KDI_TS_CLUSTER_SECRET), ≥ 16 characters — required
//   KDI_MASTER_LEASE_TTL_MS           lease asked of the lock service (10000)
//   KDI_MASTER_HEARTBEAT_INTERVAL_MS  heartbeat interval told to the tablet servers (1000)
//   KDI_MASTER_GC_GRACE_MS            a fragment file no config names is deleted once this old (600000)
//   KDI_MASTER_GC_INTERVAL_MS         how often file GC runs (60000; 0 = never by timer)
//   KDI_MASTER_BALANCE_INTERVAL_MS    how often the balancer runs by itself (60000; 0 = only on demand)
//   KDI_MASTER_BALANCE_BYTES_SKEW     balance when the most and least loaded servers differ by more bytes than this (1073741824)
//   KDI_MASTER_BALANCE_RATE_SKEW      … or by more requests per second than this (500)
//   KDI_MASTER_BALANCE_MAX_MOVES      most tablet moves running at once, drains included (2)
//   KDI_MASTER_MERGE_BELOW_BYTES      the balancer merges adjacent tablets each smaller than this and cold (0 = merges off: only listed)
//   KDI_MASTER_DISK_BALANCE          off|auto: every interval, ask each live server's disk-balance (off)
//   KDI_MASTER_DISK_BALANCE_INTERVAL_MS      how often the automatic disk balance runs (60000)
//   KDI_MASTER_DISK_BALANCE_USAGE_FLOOR      nothing to do on a server whose fullest disk is under this usage, 0..1 (0.5)
//   KDI_MASTER_DISK_BALANCE_SKEW_THRESHOLD   … or whose disks' usage differs by this or less, 0..1 (0.1)
//   KDI_MASTER_DISK_BALANCE_MIN_TABLET_BYTES tablets smaller than this on their disk are not moved (67108864)
//   KDI_MASTER_HISTORY_MOVES          ended moves kept, in memory and in the lock service (100)
//   KDI_MASTER_HISTORY_DECISIONS      balancer decisions kept, in memory and in the lock service (100)
//   KDI_MASTER_HISTORY_EVENTS         recent events kept, in memory and in the lock service (1000)
//   KDI_MASTER_HISTORY_FLUSH_MS       how long after a change the history is written to the lock service (1000; 0 = never written)
//   KDI_MASTER_HISTORY_MAX_BYTES      largest history file written (196608; at most the lock server's KDI_LOCK_MAX_CONTENTS_BYTES)
//   KDI_MASTER_ADMIN_TOKEN            when set, create/drop/schema, move, balance and drain need `Authorization: Bearer <it>`
//   KDI_MASTER_LOG_LEVEL              fatal|error|warn|info|debug|trace|silent (info)
//
// An unknown KDI_MASTER_* variable is an error too: a typo would otherwise
// be silently ignored.

import { configLoader, ServiceConfigError, type EnvVariable } from '@kdi/service-kit';
import { z } from 'zod';

export const DEFAULT_MASTER_PORT = 7000;
/** A secret shorter than this is refused: it would be guessable. */
export const MIN_SECRET_LENGTH = 16;

const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
/** A number from 0 to 1; from the environment as decimal text (the env loader reads whole numbers only). */
const fraction = () =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^(?:0|1|0?\.[0-9]+|1\.0+)$/, 'must be a number from 0 to 1, e.g. 0.5')
        .transform(Number),
    ])
    .pipe(z.number().min(0).max(1));
const httpUrl = () => z.url({ protocol: /^https?$/ });

export const MasterConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65_535).default(DEFAULT_MASTER_PORT),
  /** The advertised base URL (in /kdi/master and heartbeat replies); default: the listening URL. */
  url: httpUrl().optional(),
  lockUrl: httpUrl(),
  lockSecret: z.string().min(1).optional(),
  // Messages never echo the secrets.
  clusterSecret: z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`),
  leaseTtlMs: int(1_000, 120_000).default(10_000),
  heartbeatIntervalMs: int(100, 600_000).default(1_000),
  gcGraceMs: int(0).default(600_000),
  gcIntervalMs: int(0).default(60_000),
  balanceIntervalMs: int(0).default(60_000),
  balanceBytesSkew: int(0).default(1024 * 1024 * 1024),
  balanceRateSkew: int(0).default(500),
  balanceMaxMoves: int(1, 1000).default(2),
  mergeBelowBytes: int(0).default(0),
  diskBalance: z.enum(['off', 'auto']).default('off'),
  diskBalanceIntervalMs: int(1_000).default(60_000),
  diskBalanceUsageFloor: fraction().default(0.5),
  diskBalanceSkewThreshold: fraction().default(0.1),
  diskBalanceMinTabletBytes: int(0).default(64 * 1024 * 1024),
  historyMoves: int(1, 10_000).default(100),
  historyDecisions: int(1, 10_000).default(100),
  historyEvents: int(1, 100_000).default(1000),
  historyFlushMs: int(0, 600_000).default(1000),
  historyMaxBytes: int(4096).default(192 * 1024),
  adminToken: z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type MasterConfig = z.output<typeof MasterConfigSchema>;
export type MasterConfigInput = z.input<typeof MasterConfigSchema>;

/** Thrown by loadConfig/parseConfig; `problems` holds one line per bad setting. */
export class ConfigError extends ServiceConfigError {
  constructor(problems: readonly string[]) {
    super('invalid master configuration', problems);
  }
}

const ENV: readonly EnvVariable[] = [
  { name: 'KDI_MASTER_HOST', path: ['host'] },
  { name: 'KDI_MASTER_PORT', path: ['port'], number: true },
  { name: 'KDI_MASTER_URL', path: ['url'] },
  { name: 'KDI_MASTER_LOCK_URL', path: ['lockUrl'] },
  { name: 'KDI_MASTER_LOCK_SECRET', path: ['lockSecret'] },
  { name: 'KDI_MASTER_CLUSTER_SECRET', path: ['clusterSecret'] },
  { name: 'KDI_MASTER_LEASE_TTL_MS', path: ['leaseTtlMs'], number: true },
  { name: 'KDI_MASTER_HEARTBEAT_INTERVAL_MS', path: ['heartbeatIntervalMs'], number: true },
  { name: 'KDI_MASTER_GC_GRACE_MS', path: ['gcGraceMs'], number: true },
  { name: 'KDI_MASTER_GC_INTERVAL_MS', path: ['gcIntervalMs'], number: true },
  { name: 'KDI_MASTER_BALANCE_INTERVAL_MS', path: ['balanceIntervalMs'], number: true },
  { name: 'KDI_MASTER_BALANCE_BYTES_SKEW', path: ['balanceBytesSkew'], number: true },
  { name: 'KDI_MASTER_BALANCE_RATE_SKEW', path: ['balanceRateSkew'], number: true },
  { name: 'KDI_MASTER_BALANCE_MAX_MOVES', path: ['balanceMaxMoves'], number: true },
  { name: 'KDI_MASTER_MERGE_BELOW_BYTES', path: ['mergeBelowBytes'], number: true },
  { name: 'KDI_MASTER_DISK_BALANCE', path: ['diskBalance'] },
  { name: 'KDI_MASTER_DISK_BALANCE_INTERVAL_MS', path: ['diskBalanceIntervalMs'], number: true },
  { name: 'KDI_MASTER_DISK_BALANCE_USAGE_FLOOR', path: ['diskBalanceUsageFloor'] },
  { name: 'KDI_MASTER_DISK_BALANCE_SKEW_THRESHOLD', path: ['diskBalanceSkewThreshold'] },
  { name: 'KDI_MASTER_DISK_BALANCE_MIN_TABLET_BYTES', path: ['diskBalanceMinTabletBytes'], number: true },
  { name: 'KDI_MASTER_HISTORY_MOVES', path: ['historyMoves'], number: true },
  { name: 'KDI_MASTER_HISTORY_DECISIONS', path: ['historyDecisions'], number: true },
  { name: 'KDI_MASTER_HISTORY_EVENTS', path: ['historyEvents'], number: true },
  { name: 'KDI_MASTER_HISTORY_FLUSH_MS', path: ['historyFlushMs'], number: true },
  { name: 'KDI_MASTER_HISTORY_MAX_BYTES', path: ['historyMaxBytes'], number: true },
  { name: 'KDI_MASTER_ADMIN_TOKEN', path: ['adminToken'] },
  { name: 'KDI_MASTER_LOG_LEVEL', path: ['logLevel'] },
];

/** The environment variables loadConfig reads, for documentation and tests. */
export const MASTER_CONFIG_ENV_NAMES: readonly string[] = ENV.map((e) => e.name);

const loader = configLoader({ schema: MasterConfigSchema, prefix: 'KDI_MASTER_', variables: ENV, error: ConfigError, onePerVariable: true });

/** Validates a config object (tests, embedding code); throws ConfigError naming every bad setting by its path. */
export function parseConfig(input: MasterConfigInput): MasterConfig {
  return loader.parseConfig(input);
}

/** Builds the config from KDI_MASTER_* variables; throws ConfigError naming every bad variable. An empty variable counts as unset. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): MasterConfig {
  return loader.loadConfig(env);
}
