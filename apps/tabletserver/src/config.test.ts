import { DEFAULT_LIMITS } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TABLET_SERVER_PORT, loadConfig, parseConfig, TABLET_SERVER_CONFIG_ENV_NAMES } from './config.js';

const REQUIRED = { KDI_TS_SERVER_ID: 'ts-1', KDI_TS_DATA_DIR: '/var/lib/kdi-ts', KDI_TS_CLUSTER_SECRET: 'a-cluster-secret-of-length' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the defaults with only the required settings', () => {
    const c = loadConfig({ ...REQUIRED, PATH: '/usr/bin' });
    expect(c).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_TABLET_SERVER_PORT,
      serverId: 'ts-1',
      dataDir: '/var/lib/kdi-ts',
      extraDataDirs: [],
      diskHighWaterPercent: 90,
      clusterSecret: 'a-cluster-secret-of-length',
      memoryBudgetBytes: 64 << 20,
      blockCacheBytes: 64 << 20,
      limits: DEFAULT_LIMITS,
      scan: { maxPageCells: 10_000, maxPageBytes: 4 << 20, scannerCacheSize: 256, scannerIdleMs: 60_000 },
      backPressureWaitMs: 1_000,
      splitThresholdBytes: 256 << 20,
      splitCheckIntervalMs: 5_000,
      workerThreads: 1,
      leaseTtlMs: 10_000,
      logLevel: 'info',
      migrationFreezeMs: 2_000,
      migrationIdleMs: 60_000,
      migrationPauseMs: 3_000,
    });
  });

  it('maps every KDI_TS_* variable', () => {
    const values: Record<string, string> = {
      ...REQUIRED,
      KDI_TS_HOST: '0.0.0.0',
      KDI_TS_PORT: '0',
      KDI_TS_MEMORY_BUDGET_BYTES: '1048576',
      KDI_TS_BLOCK_CACHE_BYTES: '0',
      KDI_TS_MAX_ROW_BYTES: '100',
      KDI_TS_MAX_COLUMN_BYTES: '50',
      KDI_TS_MAX_VALUE_BYTES: '1000',
      KDI_TS_MAX_REQUEST_BYTES: '100000',
      KDI_TS_MAX_PAGE_CELLS: '10',
      KDI_TS_MAX_PAGE_BYTES: '2048',
      KDI_TS_SCANNER_CACHE_SIZE: '3',
      KDI_TS_SCANNER_IDLE_MS: '500',
      KDI_TS_BACK_PRESSURE_WAIT_MS: '0',
      KDI_TS_SPLIT_THRESHOLD_BYTES: '65536',
      KDI_TS_SPLIT_CHECK_INTERVAL_MS: '0',
      KDI_TS_WORKER_THREADS: '2',
      KDI_TS_LOCK_URL: 'http://127.0.0.1:7100',
      KDI_TS_LOCK_SECRET: 'lock-secret',
      KDI_TS_LEASE_TTL_MS: '5000',
      KDI_TS_LOG_LEVEL: 'warn',
      KDI_TS_EXTRA_DATA_DIRS: '/disk1/kdi, /disk2/kdi',
      KDI_TS_DISK_HIGH_WATER_PERCENT: '85',
      KDI_TS_MIGRATION_FREEZE_MS: '500',
      KDI_TS_MIGRATION_IDLE_MS: '1500',
      KDI_TS_MIGRATION_CRASH_AT: 'target-copy',
      KDI_TS_MIGRATION_PAUSE_AT: 'target-commit',
      KDI_TS_MIGRATION_PAUSE_MS: '250',
    };
    expect(Object.keys(values).sort()).toEqual([...TABLET_SERVER_CONFIG_ENV_NAMES].sort());
    expect(loadConfig(values)).toEqual({
      host: '0.0.0.0',
      port: 0,
      serverId: 'ts-1',
      dataDir: '/var/lib/kdi-ts',
      extraDataDirs: ['/disk1/kdi', '/disk2/kdi'],
      diskHighWaterPercent: 85,
      clusterSecret: 'a-cluster-secret-of-length',
      memoryBudgetBytes: 1 << 20,
      blockCacheBytes: 0,
      limits: { maxRowBytes: 100, maxColumnBytes: 50, maxValueBytes: 1000, maxRequestBytes: 100_000 },
      scan: { maxPageCells: 10, maxPageBytes: 2048, scannerCacheSize: 3, scannerIdleMs: 500 },
      backPressureWaitMs: 0,
      splitThresholdBytes: 65_536,
      splitCheckIntervalMs: 0,
      workerThreads: 2,
      lockUrl: 'http://127.0.0.1:7100',
      lockSecret: 'lock-secret',
      leaseTtlMs: 5000,
      logLevel: 'warn',
      migrationFreezeMs: 500,
      migrationIdleMs: 1500,
      migrationCrashAt: 'target-copy',
      migrationPauseAt: 'target-commit',
      migrationPauseMs: 250,
    });
  });

  it('refuses extra data directories that are empty, repeated, the data directory or inside another', () => {
    const problem = (dirs: string) => problemsOf(() => loadConfig({ ...REQUIRED, KDI_TS_EXTRA_DATA_DIRS: dirs }));
    expect(problem('/d1,,/d2')).toEqual(['KDI_TS_EXTRA_DATA_DIRS: entry 2 is empty: give comma-separated directory paths']);
    const separate = 'every data directory must be a separate directory';
    expect(problem('/d1,/d1/')).toEqual([`KDI_TS_EXTRA_DATA_DIRS: "/d1/" is the same as, inside or around extra data directory "/d1": ${separate}`]);
    expect(problem('/var/lib/kdi-ts/sub')).toEqual([
      `KDI_TS_EXTRA_DATA_DIRS: "/var/lib/kdi-ts/sub" is the same as, inside or around the data directory "/var/lib/kdi-ts": ${separate}`,
    ]);
    expect(problem('/var/lib')).toEqual([`KDI_TS_EXTRA_DATA_DIRS: "/var/lib" is the same as, inside or around the data directory "/var/lib/kdi-ts": ${separate}`]);
    expect(problemsOf(() => parseConfig({ serverId: 'a', dataDir: 'd', clusterSecret: 'a-cluster-secret-of-length', extraDataDirs: ['./d'] }))[0]).toMatch(
      /^extraDataDirs: "\.\/d" is the same as/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...REQUIRED, KDI_TS_PORT: '', KDI_TS_LOG_LEVEL: '' }).port).toBe(DEFAULT_TABLET_SERVER_PORT);
  });

  it('names every bad setting at once, by variable, without echoing the secret', () => {
    const problems = problemsOf(() =>
      loadConfig({
        KDI_TS_PORT: '70000',
        KDI_TS_SERVER_ID: 'has space',
        KDI_TS_CLUSTER_SECRET: 'short-secret',
        KDI_TS_MAX_PAGE_CELLS: '-5',
        KDI_TS_MAX_ROW_BYTES: '8000',
        KDI_TS_MAX_COLUMN_BYTES: '1000',
        KDI_TS_LOG_LEVEL: 'loud',
        KDI_TS_CLUSTER_SECERT: 'typo',
      }),
    );
    const text = problems.join('\n');
    for (const name of ['KDI_TS_PORT', 'KDI_TS_SERVER_ID', 'KDI_TS_CLUSTER_SECRET', 'KDI_TS_MAX_PAGE_CELLS', 'KDI_TS_MAX_ROW_BYTES', 'KDI_TS_LOG_LEVEL', 'KDI_TS_DATA_DIR']) {
      expect(text, name).toContain(`${name}: `);
    }
    expect(text).toMatch(/KDI_TS_CLUSTER_SECERT: unknown setting/);
    expect(text).toMatch(/KDI_TS_DATA_DIR: is required/);
    expect(text).toMatch(/KDI_TS_MAX_PAGE_CELLS: "-5" is not a whole number/);
    expect(text).toMatch(/resume tokens/);
    expect(text).not.toContain('short-secret');
  });
});

describe('parseConfig', () => {
  it('names bad settings by their path', () => {
    const problems = problemsOf(() => parseConfig({ serverId: 'x', dataDir: '/d', clusterSecret: 'a-cluster-secret-of-length', scan: { maxPageBytes: 1 } }));
    expect(problems).toEqual([expect.stringMatching(/^scan\.maxPageBytes: /)]);
  });

  it("refuses a server id that is not one plain path segment ('.', '..', '/')", () => {
    for (const serverId of ['.', '..', 'a/b']) {
      const problems = problemsOf(() => parseConfig({ serverId, dataDir: '/d', clusterSecret: 'a-cluster-secret-of-length' }));
      expect(problems, serverId).toEqual([expect.stringMatching(/^serverId: must be 1-128 characters of \[A-Za-z0-9._-\], not '\.' or '\.\.'/)]);
    }
  });
});
