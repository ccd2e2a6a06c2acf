// The start-up check of how Redis keeps the lock service's state (DESIGN
// §8). It only warns: the store stays safe without persistence (a restart
// is detected by the incarnation key and answered with safe mode), but
// every lock and session is lost, so production needs
//   appendonly yes, appendfsync always, maxmemory-policy noeviction.
// With `everysec` (or RDB snapshots only) a crash loses the last writes;
// a front end that stays up detects the rollback (the revision went below
// one it saw) and starts a new incarnation, but a freshly started one
// cannot, so that setting is warned about too.

import type { Redis } from 'ioredis';

export interface PersistenceFindings {
  /** Warnings for the operator, each naming the setting that would fix it. */
  readonly warnings: readonly string[];
}

async function configGet(redis: Redis, name: string): Promise<string | undefined> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as unknown;
  if (!Array.isArray(reply)) return undefined;
  const value: unknown = reply[1];
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

export async function checkPersistence(redis: Redis): Promise<PersistenceFindings> {
  let appendonly: string | undefined;
  let appendfsync: string | undefined;
  let save: string | undefined;
  let policy: string | undefined;
  try {
    appendonly = await configGet(redis, 'appendonly');
    appendfsync = await configGet(redis, 'appendfsync');
    save = await configGet(redis, 'save');
    policy = await configGet(redis, 'maxmemory-policy');
  } catch (err) {
    return {
      warnings: [
        `could not check Redis persistence (CONFIG GET refused: ${(err as Error).message}); make sure Redis runs with appendonly yes + appendfsync always, or a restart loses every lock`,
      ],
    };
  }
  const warnings: string[] = [];
  if (appendonly !== 'yes') {
    if (save === undefined || save.trim() === '') {
      warnings.push('Redis has no persistence: a restart loses every lock; production needs appendonly yes + appendfsync always');
    } else {
      warnings.push(
        `Redis persists only RDB snapshots (save "${save}"): a restart loses the changes since the last snapshot; production needs appendonly yes + appendfsync always`,
      );
    }
  } else if (appendfsync !== 'always') {
    warnings.push(`Redis AOF uses appendfsync ${appendfsync ?? 'unknown'}: a crash can lose the last acknowledged lock changes; production needs appendfsync always`);
  }
  if (policy !== undefined && policy.startsWith('allkeys-')) {
    warnings.push(`Redis maxmemory-policy is ${policy}: eviction would silently drop lock state; production needs maxmemory-policy noeviction`);
  }
  return { warnings };
}
