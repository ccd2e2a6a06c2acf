import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MASTER_PORT, loadConfig, MASTER_CONFIG_ENV_NAMES } from './config.js';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const required = { KDI_MASTER_LOCK_URL: 'http://127.0.0.1:7100', KDI_MASTER_CLUSTER_SECRET: 'a-cluster-secret-of-length' };

describe('loadConfig', () => {
  it('gives the defaults with only the required variables', () => {
    expect(loadConfig({ ...required, PATH: '/usr/bin' })).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_MASTER_PORT,
      lockUrl: 'http://127.0.0.1:7100',
      clusterSecret: 'a-cluster-secret-of-length',
      leaseTtlMs: 10_000,
      heartbeatIntervalMs: 1_000,
      gcGraceMs: 600_000,
      gcIntervalMs: 60_000,
      balanceIntervalMs: 60_000,
      balanceBytesSkew: 1024 * 1024 * 1024,
      balanceRateSkew: 500,
      balanceMaxMoves: 2,
      mergeBelowBytes: 0,
      diskBalance: 'off',
      diskBalanceIntervalMs: 60_000,
      diskBalanceUsageFloor: 0.5,
      diskBalanceSkewThreshold: 0.1,
      diskBalanceMinTabletBytes: 64 * 1024 * 1024,
      historyMoves: 100,
      historyDecisions: 100,
      historyEvents: 1000,
      historyFlushMs: 1000,
      historyMaxBytes: 196608,
      logLevel: 'info',
    });
  });

  it('maps every KDI_MASTER_* variable', () => {
    const c = loadConfig({
      ...required,
      KDI_MASTER_HOST: '0.0.0.0',
      KDI_MASTER_PORT: '0',
      KDI_MASTER_URL: 'http://master.example:7000',
      KDI_MASTER_LOCK_SECRET: 'lock-secret',
      KDI_MASTER_LEASE_TTL_MS: '2000',
      KDI_MASTER_HEARTBEAT_INTERVAL_MS: '500',
      KDI_MASTER_GC_GRACE_MS: '1000',
      KDI_MASTER_GC_INTERVAL_MS: '0',
      KDI_MASTER_BALANCE_INTERVAL_MS: '0',
      KDI_MASTER_BALANCE_BYTES_SKEW: '1048576',
      KDI_MASTER_BALANCE_RATE_SKEW: '12',
      KDI_MASTER_BALANCE_MAX_MOVES: '3',
      KDI_MASTER_MERGE_BELOW_BYTES: '4096',
      KDI_MASTER_DISK_BALANCE: 'auto',
      KDI_MASTER_DISK_BALANCE_INTERVAL_MS: '5000',
      KDI_MASTER_DISK_BALANCE_USAGE_FLOOR: '0.25',
      KDI_MASTER_DISK_BALANCE_SKEW_THRESHOLD: '0.05',
      KDI_MASTER_DISK_BALANCE_MIN_TABLET_BYTES: '1024',
      KDI_MASTER_HISTORY_MOVES: '10',
      KDI_MASTER_HISTORY_DECISIONS: '11',
      KDI_MASTER_HISTORY_EVENTS: '12',
      KDI_MASTER_HISTORY_FLUSH_MS: '0',
      KDI_MASTER_HISTORY_MAX_BYTES: '65536',
      KDI_MASTER_ADMIN_TOKEN: 'an-admin-token-0123',
      KDI_MASTER_LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      url: 'http://master.example:7000',
      lockSecret: 'lock-secret',
      leaseTtlMs: 2000,
      gcIntervalMs: 0,
      balanceIntervalMs: 0,
      balanceBytesSkew: 1048576,
      balanceRateSkew: 12,
      balanceMaxMoves: 3,
      mergeBelowBytes: 4096,
      diskBalance: 'auto',
      diskBalanceIntervalMs: 5000,
      diskBalanceUsageFloor: 0.25,
      diskBalanceSkewThreshold: 0.05,
      diskBalanceMinTabletBytes: 1024,
      historyMoves: 10,
      historyDecisions: 11,
      historyEvents: 12,
      historyFlushMs: 0,
      historyMaxBytes: 65536,
      adminToken: 'an-admin-token-0123',
    });
    expect(MASTER_CONFIG_ENV_NAMES).toHaveLength(27);
  });

  it('names every bad or missing variable, and unknown ones, without echoing secrets', () => {
    const problems = problemsOf(() => loadConfig({ KDI_MASTER_CLUSTER_SECRET: 'short', KDI_MASTER_PORT: 'x', KDI_MASTER_TYPO: '1' }));
    const text = problems.join('\n');
    expect(text).toMatch(/KDI_MASTER_LOCK_URL/);
    expect(text).toMatch(/KDI_MASTER_CLUSTER_SECRET: must be at least 16 characters/);
    expect(text).toMatch(/KDI_MASTER_PORT/);
    expect(text).toMatch(/KDI_MASTER_TYPO/);
    expect(text).not.toMatch(/short/);
  });
});
