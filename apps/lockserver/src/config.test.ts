import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LOCK_PORT, loadConfig, LOCK_CONFIG_ENV_NAMES, parseConfig } from './config.js';
import { DEFAULT_LOCK_STORE_LIMITS } from './store/lock-store.js';

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
  it('gives the embedded defaults with only a data directory', () => {
    const c = loadConfig({ KDI_LOCK_DATA_DIR: '/var/lib/kdi-lock', PATH: '/usr/bin', HOME: '/root' });
    expect(c).toEqual({
      host: '127.0.0.1',
      port: DEFAULT_LOCK_PORT,
      backend: 'embedded',
      dataDir: '/var/lib/kdi-lock',
      limits: DEFAULT_LOCK_STORE_LIMITS,
      logLevel: 'info',
    });
  });

  it('maps every KDI_LOCK_* variable', () => {
    const c = loadConfig({
      KDI_LOCK_HOST: '0.0.0.0',
      KDI_LOCK_PORT: '0',
      KDI_LOCK_BACKEND: 'redis',
      KDI_LOCK_REDIS_URL: 'redis://127.0.0.1:6390/2',
      KDI_LOCK_CLUSTER_SECRET: 's3cret-s3cret-s3cret',
      KDI_LOCK_MIN_TTL_MS: '500',
      KDI_LOCK_MAX_TTL_MS: '30000',
      KDI_LOCK_LOCK_DELAY_MS: '2000',
      KDI_LOCK_MAX_CONTENTS_BYTES: '4096',
      KDI_LOCK_EVENT_RETENTION: '100',
      KDI_LOCK_LOG_LEVEL: 'warn',
    });
    expect(c).toEqual({
      host: '0.0.0.0',
      port: 0,
      backend: 'redis',
      redisUrl: 'redis://127.0.0.1:6390/2',
      clusterSecret: 's3cret-s3cret-s3cret',
      limits: { minTtlMs: 500, maxTtlMs: 30_000, lockDelayMs: 2_000, maxContentsBytes: 4_096, eventRetention: 100 },
      logLevel: 'warn',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ KDI_LOCK_DATA_DIR: '/d', KDI_LOCK_PORT: '', KDI_LOCK_CLUSTER_SECRET: '' }).port).toBe(DEFAULT_LOCK_PORT);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        KDI_LOCK_PORT: '70000',
        KDI_LOCK_BACKEND: 'etcd',
        KDI_LOCK_CLUSTER_SECRET: 'short',
        KDI_LOCK_MIN_TTL_MS: '10s',
        KDI_LOCK_MAX_TTL_MS: '-5',
        KDI_LOCK_LOCK_DELAY_MS: '1.5',
        KDI_LOCK_MAX_CONTENTS_BYTES: '0',
        KDI_LOCK_EVENT_RETENTION: 'lots',
        KDI_LOCK_LOG_LEVEL: 'loud',
        KDI_LOCK_REDIS_URL: 'http://x',
        KDI_LOCK_CLUSTER_SECERT: 'typo-typo-typo-typo',
      }),
    );
    const text = problems.join('\n');
    for (const name of [
      'KDI_LOCK_PORT',
      'KDI_LOCK_BACKEND',
      'KDI_LOCK_CLUSTER_SECRET',
      'KDI_LOCK_MIN_TTL_MS',
      'KDI_LOCK_MAX_TTL_MS',
      'KDI_LOCK_LOCK_DELAY_MS',
      'KDI_LOCK_MAX_CONTENTS_BYTES',
      'KDI_LOCK_EVENT_RETENTION',
      'KDI_LOCK_LOG_LEVEL',
      'KDI_LOCK_REDIS_URL',
      'KDI_LOCK_CLUSTER_SECERT',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}: `, 'm'));
    }
    expect(text).toMatch(/KDI_LOCK_BACKEND: must be one of "redis", "embedded"/);
    expect(text).toMatch(/KDI_LOCK_MIN_TTL_MS: "10s" is not a whole number/);
    expect(text).toMatch(/KDI_LOCK_CLUSTER_SECERT: unknown setting/);
    expect(text).toMatch(/KDI_LOCK_CLUSTER_SECRET: must be at least 16 characters/);
  });

  it('requires the setting the chosen backend needs, even alongside other errors', () => {
    expect(problemsOf(() => loadConfig({ KDI_LOCK_BACKEND: 'redis', KDI_LOCK_PORT: 'x' }))).toEqual([
      'KDI_LOCK_PORT: "x" is not a whole number',
      "KDI_LOCK_REDIS_URL: is required when backend is 'redis'",
    ]);
    expect(problemsOf(() => loadConfig({ KDI_LOCK_PORT: '99999' }))).toEqual([
      expect.stringMatching(/^KDI_LOCK_PORT: /),
      "KDI_LOCK_DATA_DIR: is required when backend is 'embedded'",
    ]);
  });

  it('never repeats a secret or a Redis URL in its messages', () => {
    const problems = problemsOf(() => loadConfig({ KDI_LOCK_BACKEND: 'redis', KDI_LOCK_REDIS_URL: 'http://user:pw-zq9@host', KDI_LOCK_CLUSTER_SECRET: 'sec-zq8' }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['KDI_LOCK_REDIS_URL', 'KDI_LOCK_CLUSTER_SECRET']);
    expect(problems.join('\n')).not.toMatch(/zq9|zq8/);
  });

  it('refuses a minimum TTL above the maximum', () => {
    expect(problemsOf(() => loadConfig({ KDI_LOCK_DATA_DIR: '/d', KDI_LOCK_MIN_TTL_MS: '5000', KDI_LOCK_MAX_TTL_MS: '4000' }))).toEqual([
      'KDI_LOCK_MIN_TTL_MS: 5000 exceeds maxTtlMs 4000',
    ]);
  });

  it('puts every problem in the error message', () => {
    try {
      loadConfig({ KDI_LOCK_BACKEND: 'x', KDI_LOCK_PORT: 'y' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('KDI_LOCK_BACKEND');
      expect((e as Error).message).toContain('KDI_LOCK_PORT');
    }
  });

  it('lists the variables it reads', () => {
    expect(LOCK_CONFIG_ENV_NAMES).toHaveLength(12);
    expect(LOCK_CONFIG_ENV_NAMES.every((n) => n.startsWith('KDI_LOCK_'))).toBe(true);
  });
});

describe('parseConfig', () => {
  it('fills defaults and names bad fields by config path', () => {
    expect(parseConfig({ dataDir: '/d', limits: { maxContentsBytes: 10 } }).limits).toEqual({ ...DEFAULT_LOCK_STORE_LIMITS, maxContentsBytes: 10 });
    const problems = problemsOf(() => parseConfig({ backend: 'redis', limits: { minTtlMs: 'x' as unknown as number }, bogus: 1 } as never));
    expect(problems.join('\n')).toMatch(/^limits\.minTtlMs: /m);
    expect(problems.join('\n')).toMatch(/^\(config\): .*bogus/m);
    expect(problems).toContain("redisUrl: is required when backend is 'redis'");
  });
});
