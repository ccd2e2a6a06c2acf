// The lock server's configuration: one zod schema, validated once at start
// (STYLE: config is schema-validated once and flows down as arguments).
// main.ts is the only reader of process.env; it calls loadConfig(env),
// which maps the KDI_LOCK_* variables below onto the schema and fails fast
// with EVERY bad setting named by its variable, so an operator fixes them
// all in one go.
//
//   KDI_LOCK_HOST                 bind address (127.0.0.1)
//   KDI_LOCK_PORT                 port; 0 = a random free port (7100)
//   KDI_LOCK_BACKEND              'redis' | 'embedded' (embedded)
//   KDI_LOCK_REDIS_URL            redis://host:port/db — required for redis
//   KDI_LOCK_DATA_DIR             directory of the embedded store — required for embedded
//   KDI_LOCK_CLUSTER_SECRET       when set, every /v1 route needs `Authorization: Bearer <it>`
//   KDI_LOCK_MIN_TTL_MS, KDI_LOCK_MAX_TTL_MS, KDI_LOCK_LOCK_DELAY_MS,
//   KDI_LOCK_MAX_CONTENTS_BYTES, KDI_LOCK_EVENT_RETENTION   store limits
//   KDI_LOCK_LOG_LEVEL            fatal|error|warn|info|debug|trace|silent (info)
//
// An unknown KDI_LOCK_* variable is an error too: a typo such as
// KDI_LOCK_CLUSTER_SECERT would otherwise silently leave the service open.

import { configLoader, ServiceConfigError, type ConfigIssue, type EnvVariable } from '@kdi/service-kit';
import { z } from 'zod';
import { DEFAULT_LOCK_STORE_LIMITS } from './store/lock-store.js';

export const DEFAULT_LOCK_PORT = 7100;
/** A cluster secret shorter than this is refused: it would be guessable. */
export const MIN_CLUSTER_SECRET_LENGTH = 16;

const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const LockLimitsSchema = z.strictObject({
  minTtlMs: int(100).default(DEFAULT_LOCK_STORE_LIMITS.minTtlMs),
  maxTtlMs: int(100).default(DEFAULT_LOCK_STORE_LIMITS.maxTtlMs),
  lockDelayMs: int(0).default(DEFAULT_LOCK_STORE_LIMITS.lockDelayMs),
  maxContentsBytes: int(1, 64 * 1024 * 1024).default(DEFAULT_LOCK_STORE_LIMITS.maxContentsBytes),
  eventRetention: int(1, 10_000_000).default(DEFAULT_LOCK_STORE_LIMITS.eventRetention),
});

/** Each field on its own; the rules between fields are in crossFieldIssues. */
const LockServerConfigShape = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65_535).default(DEFAULT_LOCK_PORT),
  backend: z.enum(['redis', 'embedded']).default('embedded'),
  // Messages never echo these two values: a URL may carry a password.
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  dataDir: z.string().min(1).optional(),
  clusterSecret: z.string().min(MIN_CLUSTER_SECRET_LENGTH, `must be at least ${MIN_CLUSTER_SECRET_LENGTH} characters`).optional(),
  limits: LockLimitsSchema.default(LockLimitsSchema.parse({})),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  const backend = c['backend'] ?? 'embedded';
  if (backend === 'redis' && c['redisUrl'] === undefined) issues.push({ path: ['redisUrl'], message: "is required when backend is 'redis'" });
  if (backend === 'embedded' && c['dataDir'] === undefined) issues.push({ path: ['dataDir'], message: "is required when backend is 'embedded'" });
  const min = limits['minTtlMs'] ?? DEFAULT_LOCK_STORE_LIMITS.minTtlMs;
  const max = limits['maxTtlMs'] ?? DEFAULT_LOCK_STORE_LIMITS.maxTtlMs;
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    issues.push({ path: ['limits', 'minTtlMs'], message: `${min} exceeds maxTtlMs ${max}` });
  }
  return issues;
}

export const LockServerConfigSchema = LockServerConfigShape.superRefine((c, ctx) => {
  for (const issue of crossFieldIssues(c)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
});

export type LockServerConfig = z.output<typeof LockServerConfigSchema>;
export type LockServerConfigInput = z.input<typeof LockServerConfigSchema>;

/** Thrown by loadConfig/parseConfig; `problems` holds one line per bad setting. */
export class ConfigError extends ServiceConfigError {
  constructor(problems: readonly string[]) {
    super('invalid lock server configuration', problems);
  }
}

/** Environment variable → config path. Numbers are parsed strictly (digits only). */
const ENV: readonly EnvVariable[] = [
  { name: 'KDI_LOCK_HOST', path: ['host'] },
  { name: 'KDI_LOCK_PORT', path: ['port'], number: true },
  { name: 'KDI_LOCK_BACKEND', path: ['backend'] },
  { name: 'KDI_LOCK_REDIS_URL', path: ['redisUrl'] },
  { name: 'KDI_LOCK_DATA_DIR', path: ['dataDir'] },
  { name: 'KDI_LOCK_CLUSTER_SECRET', path: ['clusterSecret'] },
  { name: 'KDI_LOCK_MIN_TTL_MS', path: ['limits', 'minTtlMs'], number: true },
  { name: 'KDI_LOCK_MAX_TTL_MS', path: ['limits', 'maxTtlMs'], number: true },
  { name: 'KDI_LOCK_LOCK_DELAY_MS', path: ['limits', 'lockDelayMs'], number: true },
  { name: 'KDI_LOCK_MAX_CONTENTS_BYTES', path: ['limits', 'maxContentsBytes'], number: true },
  { name: 'KDI_LOCK_EVENT_RETENTION', path: ['limits', 'eventRetention'], number: true },
  { name: 'KDI_LOCK_LOG_LEVEL', path: ['logLevel'] },
];

/** The environment variables loadConfig reads, for documentation and tests. */
export const LOCK_CONFIG_ENV_NAMES: readonly string[] = ENV.map((e) => e.name);

const loader = configLoader({ schema: LockServerConfigShape, crossFieldIssues, prefix: 'KDI_LOCK_', variables: ENV, error: ConfigError });

/**
 * Validates a config object (tests and embedding code); throws ConfigError
 * naming every bad setting by its config path.
 */
export function parseConfig(input: LockServerConfigInput): LockServerConfig {
  return loader.parseConfig(input);
}

/**
 * Builds the config from KDI_LOCK_* variables; throws ConfigError naming
 * every bad variable. An empty variable counts as unset.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): LockServerConfig {
  return loader.loadConfig(env);
}
