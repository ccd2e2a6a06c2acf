// The tablet server's configuration: one zod schema, validated once at
// start (STYLE: config is schema-validated once and flows down as
// arguments). main.ts is the only reader of process.env; it calls
// loadConfig(env), which maps the KDI_TS_* variables below onto the schema
// and fails fast with EVERY bad setting named by its variable.
//
//   KDI_TS_HOST                     bind address (127.0.0.1)
//   KDI_TS_PORT                     port; 0 = a random free port (7200)
//   KDI_TS_SERVER_ID                this server's id, [A-Za-z0-9._-]{1,128}, not '.' or '..' — required
//   KDI_TS_DATA_DIR                 the storage engine's directory — required
//   KDI_TS_EXTRA_DATA_DIRS          more data directories (disks), comma-separated; created if missing, each a writable
//                                   directory distinct from KDI_TS_DATA_DIR and the others (disks: docs/disks.md)
//   KDI_TS_DISK_HIGH_WATER_PERCENT  a disk this full (percent of its capacity) takes no new fragments (90)
//   KDI_TS_CLUSTER_SECRET           needed as `Authorization: Bearer <it>` on /v1/admin/* — required
//   KDI_TS_MEMORY_BUDGET_BYTES      memory fragments are serialized past this (64 MiB)
//   KDI_TS_BLOCK_CACHE_BYTES        shared block cache (64 MiB; 0 = no cache)
//   KDI_TS_MAX_ROW_BYTES, KDI_TS_MAX_COLUMN_BYTES, KDI_TS_MAX_VALUE_BYTES,
//   KDI_TS_MAX_REQUEST_BYTES        cell limits (DESIGN §2: 4 KiB, 1 KiB, 8 MiB, 64 MiB)
//   KDI_TS_MAX_PAGE_CELLS           cap on cells per scan page (10000)
//   KDI_TS_MAX_PAGE_BYTES           cap on bytes per scan page (4 MiB)
//   KDI_TS_BACK_PRESSURE_WAIT_MS    how long an apply may wait for memory before RESOURCE_EXHAUSTED (1000)
//   KDI_TS_SCANNER_CACHE_SIZE       server-side scanners kept at most (256; LRU)
//   KDI_TS_SCANNER_IDLE_MS          a scanner unused this long is closed (60000)
//   KDI_TS_SPLIT_THRESHOLD_BYTES    a tablet whose disk size passes this is split (256 MiB)
//   KDI_TS_SPLIT_CHECK_INTERVAL_MS  how often tablets are checked for a split (5000; 0 = never by timer)
//   KDI_TS_WORKER_THREADS           threads for serialization and compaction (1; 0 = on the event loop)
//   KDI_TS_LOCK_URL                 lock server URL; when set the server joins /kdi/servers/<id> and fences itself without a lease
//   KDI_TS_LOCK_SECRET              the lock server's cluster secret
//   KDI_TS_LEASE_TTL_MS             lease asked of the lock service (10000)
//   KDI_TS_LOG_LEVEL                fatal|error|warn|info|debug|trace|silent (info)
//   KDI_TS_MIGRATION_FREEZE_MS      during a migration's freeze, how long a write to the tablet waits before UNAVAILABLE, and from its commit a read (2000)
//   KDI_TS_MIGRATION_IDLE_MS        a received migration with no call for this long is aborted, its temp files removed (60000)
//   KDI_TS_MIGRATION_CRASH_AT       TEST-ONLY: kill this process (SIGKILL) when a migration reaches this point (migration/crash-point.ts)
//   KDI_TS_MIGRATION_PAUSE_AT, KDI_TS_MIGRATION_PAUSE_MS  TEST-ONLY: wait there that long (3000) instead
//
// An unknown KDI_TS_* variable is an error too: a typo would otherwise be
// silently ignored.

import { DEFAULT_LIMITS, NAME_PATTERN, NAME_RULE } from '@kdi/protocol';
import { configLoader, ServiceConfigError, type ConfigIssue, type EnvVariable } from '@kdi/service-kit';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { CRASH_POINTS } from './migration/crash-point.js';

export const DEFAULT_TABLET_SERVER_PORT = 7200;
/** A cluster secret shorter than this is refused: it would be guessable. */
export const MIN_CLUSTER_SECRET_LENGTH = 16;
/**
 * Rows plus columns may not pass this: a resume token carries one row and
 * one column and travels in the x-kdi-resume header of binary scan
 * replies, and Node refuses headers past 16 KiB by default (base64 adds a
 * third).
 */
export const MAX_KEY_BYTES_IN_TOKENS = 8 * 1024;

const MiB = 1024 * 1024;
const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const CellLimitsSchema = z.strictObject({
  maxRowBytes: int(1, 64 * 1024).default(DEFAULT_LIMITS.maxRowBytes),
  maxColumnBytes: int(1, 64 * 1024).default(DEFAULT_LIMITS.maxColumnBytes),
  maxValueBytes: int(1, 256 * MiB).default(DEFAULT_LIMITS.maxValueBytes),
  // Fastify buffers a body whole; beyond 512 MiB one request could take the process down.
  maxRequestBytes: int(1024, 512 * MiB).default(DEFAULT_LIMITS.maxRequestBytes),
});

export const ScanLimitsSchema = z.strictObject({
  maxPageCells: int(1, 1_000_000).default(10_000),
  maxPageBytes: int(1024, 256 * MiB).default(4 * MiB),
  scannerCacheSize: int(0, 100_000).default(256),
  scannerIdleMs: int(100).default(60_000),
});

/** Each field on its own; the rules between fields are in crossFieldIssues. */
const TabletServerConfigShape = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65_535).default(DEFAULT_TABLET_SERVER_PORT),
  serverId: z.string().regex(NAME_PATTERN, `must be ${NAME_RULE}`),
  dataDir: z.string().min(1),
  /** More data directories (disks) beside dataDir: given as a list, or as the comma-separated text of KDI_TS_EXTRA_DATA_DIRS. */
  extraDataDirs: z.preprocess((v) => (typeof v === 'string' ? splitDirList(v) : v), z.array(z.string())).default([]),
  /** A disk at or above this usage (percent) takes no new fragments (libs/storage disk-set.ts). */
  diskHighWaterPercent: int(1, 100).default(90),
  // Messages never echo the secret.
  clusterSecret: z.string().min(MIN_CLUSTER_SECRET_LENGTH, `must be at least ${MIN_CLUSTER_SECRET_LENGTH} characters`),
  memoryBudgetBytes: int(64 * 1024).default(64 * MiB),
  blockCacheBytes: int(0).default(64 * MiB),
  limits: CellLimitsSchema.default(CellLimitsSchema.parse({})),
  scan: ScanLimitsSchema.default(ScanLimitsSchema.parse({})),
  backPressureWaitMs: int(0, 600_000).default(1_000),
  splitThresholdBytes: int(64 * 1024).default(256 * MiB),
  splitCheckIntervalMs: int(0).default(5_000),
  // Heavy work (compression, merging, checksums) off the event loop by default (DESIGN §5).
  workerThreads: int(0, 64).default(1),
  /** The lock server: when set, the server holds /kdi/servers/<id> and acknowledges writes only while its lease is live. */
  lockUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The lock server's cluster secret, when it has one. */
  lockSecret: z.string().min(1).optional(),
  /** Lease asked of the lock service. */
  leaseTtlMs: int(1_000, 120_000).default(10_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  migrationFreezeMs: int(0, 600_000).default(2_000),
  migrationIdleMs: int(100).default(60_000),
  /** TEST-ONLY crash point (migration/crash-point.ts). */
  migrationCrashAt: z.enum(CRASH_POINTS).optional(),
  /** TEST-ONLY pause point and its length (migration/crash-point.ts). */
  migrationPauseAt: z.enum(CRASH_POINTS).optional(),
  migrationPauseMs: int(0, 600_000).default(3_000),
});

/**
 * Rules between fields. Runs on the raw input too (tolerating wrong types),
 * so they are reported even when another field is bad: zod skips
 * refinements of an object whose fields failed.
 */
function crossFieldIssues(input: unknown): ConfigIssue[] {
  const c = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const limits = (typeof c['limits'] === 'object' && c['limits'] !== null ? c['limits'] : {}) as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  const row = limits['maxRowBytes'] ?? DEFAULT_LIMITS.maxRowBytes;
  const column = limits['maxColumnBytes'] ?? DEFAULT_LIMITS.maxColumnBytes;
  if (typeof row === 'number' && typeof column === 'number' && row + column > MAX_KEY_BYTES_IN_TOKENS) {
    issues.push({
      path: ['limits', 'maxRowBytes'],
      message: `maxRowBytes ${row} + maxColumnBytes ${column} exceeds ${MAX_KEY_BYTES_IN_TOKENS}: resume tokens carry a row and a column in an HTTP header`,
    });
  }
  issues.push(...extraDataDirIssues(c['dataDir'], c['extraDataDirs']));
  return issues;
}

function splitDirList(text: string): string[] {
  return text.split(',').map((d) => d.trim());
}

/** True when `inner` is `outer` or lies below it. */
function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The extra data directories, as paths: none empty, none the same as or
 * inside (or around) the data directory or another one — each is one
 * disk, and the file GC and disk usage walk each one once.
 */
function extraDataDirIssues(dataDir: unknown, extra: unknown): ConfigIssue[] {
  const list = typeof extra === 'string' ? splitDirList(extra) : extra;
  if (!Array.isArray(list)) return [];
  const path = ['extraDataDirs'];
  const issues: ConfigIssue[] = [];
  const seen: { dir: string; name: string }[] = [];
  if (typeof dataDir === 'string' && dataDir !== '') seen.push({ dir: resolve(dataDir), name: `the data directory ${JSON.stringify(dataDir)}` });
  list.forEach((d: unknown, i) => {
    if (typeof d !== 'string' || d === '') {
      issues.push({ path, message: `entry ${i + 1} is empty: give comma-separated directory paths` });
      return;
    }
    const dir = resolve(d);
    const clash = seen.find((s) => within(s.dir, dir) || within(dir, s.dir));
    if (clash !== undefined) {
      issues.push({ path, message: `${JSON.stringify(d)} is the same as, inside or around ${clash.name}: every data directory must be a separate directory` });
    }
    seen.push({ dir, name: `extra data directory ${JSON.stringify(d)}` });
  });
  return issues;
}

export const TabletServerConfigSchema = TabletServerConfigShape.superRefine((c, ctx) => {
  for (const issue of crossFieldIssues(c)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
});

export type TabletServerConfig = z.output<typeof TabletServerConfigSchema>;
export type TabletServerConfigInput = z.input<typeof TabletServerConfigSchema>;

/** Thrown by loadConfig/parseConfig; `problems` holds one line per bad setting. */
export class ConfigError extends ServiceConfigError {
  constructor(problems: readonly string[]) {
    super('invalid tablet server configuration', problems);
  }
}

/** Environment variable → config path. Numbers are parsed strictly (digits only). */
const ENV: readonly EnvVariable[] = [
  { name: 'KDI_TS_HOST', path: ['host'] },
  { name: 'KDI_TS_PORT', path: ['port'], number: true },
  { name: 'KDI_TS_SERVER_ID', path: ['serverId'] },
  { name: 'KDI_TS_DATA_DIR', path: ['dataDir'] },
  { name: 'KDI_TS_EXTRA_DATA_DIRS', path: ['extraDataDirs'] },
  { name: 'KDI_TS_DISK_HIGH_WATER_PERCENT', path: ['diskHighWaterPercent'], number: true },
  { name: 'KDI_TS_CLUSTER_SECRET', path: ['clusterSecret'] },
  { name: 'KDI_TS_MEMORY_BUDGET_BYTES', path: ['memoryBudgetBytes'], number: true },
  { name: 'KDI_TS_BLOCK_CACHE_BYTES', path: ['blockCacheBytes'], number: true },
  { name: 'KDI_TS_MAX_ROW_BYTES', path: ['limits', 'maxRowBytes'], number: true },
  { name: 'KDI_TS_MAX_COLUMN_BYTES', path: ['limits', 'maxColumnBytes'], number: true },
  { name: 'KDI_TS_MAX_VALUE_BYTES', path: ['limits', 'maxValueBytes'], number: true },
  { name: 'KDI_TS_MAX_REQUEST_BYTES', path: ['limits', 'maxRequestBytes'], number: true },
  { name: 'KDI_TS_MAX_PAGE_CELLS', path: ['scan', 'maxPageCells'], number: true },
  { name: 'KDI_TS_MAX_PAGE_BYTES', path: ['scan', 'maxPageBytes'], number: true },
  { name: 'KDI_TS_SCANNER_CACHE_SIZE', path: ['scan', 'scannerCacheSize'], number: true },
  { name: 'KDI_TS_SCANNER_IDLE_MS', path: ['scan', 'scannerIdleMs'], number: true },
  { name: 'KDI_TS_BACK_PRESSURE_WAIT_MS', path: ['backPressureWaitMs'], number: true },
  { name: 'KDI_TS_SPLIT_THRESHOLD_BYTES', path: ['splitThresholdBytes'], number: true },
  { name: 'KDI_TS_SPLIT_CHECK_INTERVAL_MS', path: ['splitCheckIntervalMs'], number: true },
  { name: 'KDI_TS_WORKER_THREADS', path: ['workerThreads'], number: true },
  { name: 'KDI_TS_LOCK_URL', path: ['lockUrl'] },
  { name: 'KDI_TS_LOCK_SECRET', path: ['lockSecret'] },
  { name: 'KDI_TS_LEASE_TTL_MS', path: ['leaseTtlMs'], number: true },
  { name: 'KDI_TS_LOG_LEVEL', path: ['logLevel'] },
  { name: 'KDI_TS_MIGRATION_FREEZE_MS', path: ['migrationFreezeMs'], number: true },
  { name: 'KDI_TS_MIGRATION_IDLE_MS', path: ['migrationIdleMs'], number: true },
  { name: 'KDI_TS_MIGRATION_CRASH_AT', path: ['migrationCrashAt'] },
  { name: 'KDI_TS_MIGRATION_PAUSE_AT', path: ['migrationPauseAt'] },
  { name: 'KDI_TS_MIGRATION_PAUSE_MS', path: ['migrationPauseMs'], number: true },
];

/** The environment variables loadConfig reads, for documentation and tests. */
export const TABLET_SERVER_CONFIG_ENV_NAMES: readonly string[] = ENV.map((e) => e.name);

const loader = configLoader({
  schema: TabletServerConfigShape,
  crossFieldIssues,
  prefix: 'KDI_TS_',
  variables: ENV,
  error: ConfigError,
  // A variable that was not a number was already reported; zod then says "required".
  onePerVariable: true,
});

/** Validates a config object (tests, embedding code); throws ConfigError naming every bad setting by its path. */
export function parseConfig(input: TabletServerConfigInput): TabletServerConfig {
  return loader.parseConfig(input);
}

/**
 * Builds the config from KDI_TS_* variables; throws ConfigError naming
 * every bad variable. An empty variable counts as unset.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): TabletServerConfig {
  return loader.loadConfig(env);
}
