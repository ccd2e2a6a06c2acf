// RedisLockStore: the lock store in Redis (DESIGN §8), for lock-server
// processes that share one Redis as stateless front ends. The data model is
// in redis-keys.ts; every call is ONE Lua script (scripts/), which first
// checks the incarnation and expires sessions by Redis TIME (prelude.ts).
//
// Connections (ioredis), both without offline queue and without automatic
// resend, reconnecting in the background:
//  - commands: each call has a command timeout; a call that cannot be sent
//    (Redis down), loses its connection or times out fails fast with
//    UNAVAILABLE and an UNKNOWN outcome — acquire is idempotent by request
//    id, so a retry of an acquire is safe;
//  - the event tail (event-tail.ts): XREAD BLOCK on the event stream, which
//    wakes waitForChange() for changes made through any front end.
//
// Safe mode: a new incarnation (Redis had no lock state: data loss, a
// rollback, or the very first start — indistinguishable from Redis alone)
// refuses grants for maxTtlMs + lockDelayMs. So a fresh cluster waits that
// long before its first grant; choose the limits accordingly.

import { randomBytes } from 'node:crypto';
import { KdiError, type Sequencer, type WatchEvent, WatchEventTypeSchema } from '@kdi/protocol';
import { Redis } from 'ioredis';
import type { AcquireOutcome, ChildEntry, EventBatch, LockStore, LockStoreLimits, Read, SessionGrant, StoreStatus, StoredFile } from '../lock-store.js';
import { EventTail, TAIL_BLOCK_MS } from './event-tail.js';
import * as check from './input-checks.js';
import { checkPersistence } from './persistence-check.js';
import { asArray, asNumber, asString, decodeChildren, decodeFile, decodeReply, type ScriptReply } from './reply-decode.js';
import { DEFAULT_KEY_PREFIX, keyPrefixProblem, redisKeys } from './redis-keys.js';
import { toStoreError } from './redis-errors.js';
import { runScript, SCRIPTS, type LuaScript, type ScriptArg } from './script-runner.js';

export interface RedisLockStoreLogger {
  warn(message: string): void;
  info?(message: string): void;
}

export interface RedisLockStoreOptions {
  /** redis://[user:password@]host:port[/db] */
  readonly url: string;
  readonly limits?: Partial<LockStoreLimits>;
  /** Prefix of every key (default 'kdi:lock:'); stores with different prefixes are independent. */
  readonly keyPrefix?: string;
  readonly logger?: RedisLockStoreLogger;
  /** How long one Redis call may take before it fails with UNAVAILABLE (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** How long open() waits for the first connection (default 5000 ms). */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const stderrLogger: RedisLockStoreLogger = { warn: (m) => console.warn(`[lock-store] ${m}`) };

function connection(url: string, name: string, commandTimeout: number, connectTimeout: number): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout,
    connectTimeout,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
}

async function connect(redis: Redis, url: string): Promise<void> {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new KdiError('UNAVAILABLE', `cannot connect to Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`, {
      retryAfterMs: 1_000,
      cause: err,
    });
  }
}

export class RedisLockStore implements LockStore {
  readonly backend = 'redis' as const;
  private incarnation: string | undefined;
  /** Highest revision any reply showed this front end: Redis below it means the data went back in time. */
  private seen = 0;
  private tail: EventTail | undefined;
  private closed = false;
  private down = false;

  private constructor(
    private readonly redis: Redis,
    readonly limits: LockStoreLimits,
    private readonly prefix: string,
    private readonly logger: RedisLockStoreLogger,
  ) {
    const markDown = (why: string): void => {
      if (this.down || this.closed) return;
      this.down = true;
      this.logger.warn(`Redis connection failed (${why}); lock calls fail with UNAVAILABLE until it is back`);
    };
    redis.on('error', (err: Error) => markDown(err.message));
    redis.on('close', () => markDown('connection closed'));
    redis.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.info?.('Redis connection is back');
    });
  }

  static async open(opts: RedisLockStoreOptions): Promise<RedisLockStore> {
    const limits = check.resolveLimits(opts.limits);
    const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const prefixProblem = keyPrefixProblem(prefix);
    if (prefixProblem) throw new KdiError('INVALID_ARGUMENT', prefixProblem);
    const logger = opts.logger ?? stderrLogger;
    const commandTimeout = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const connectTimeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

    const redis = connection(opts.url, 'kdi-lock-store', commandTimeout, connectTimeout);
    redis.on('error', () => undefined); // reported by the store once it exists
    await connect(redis, opts.url);
    const store = new RedisLockStore(redis, limits, prefix, logger);
    try {
      for (const warning of (await checkPersistence(redis)).warnings) logger.warn(warning);
      const status = await store.status();
      if (status.safeModeRemainingMs > 0) {
        logger.warn(
          `lock store in safe mode for ${status.safeModeRemainingMs} ms (incarnation ${status.incarnation}): Redis held no lock state (first start, or data lost); no lock is granted until then`,
        );
      }
      const tailConnection = connection(opts.url, 'kdi-lock-store-tail', TAIL_BLOCK_MS + commandTimeout, connectTimeout);
      tailConnection.on('error', () => undefined); // the tail retries; the command connection reports outages
      await connect(tailConnection, opts.url);
      store.tail = new EventTail(tailConnection, redisKeys(prefix).events, status.revision);
      store.tail.start();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  // ---- sessions ------------------------------------------------------

  async openSession(ttlMs: number | undefined): Promise<SessionGrant> {
    const ttl = check.grantedTtl(ttlMs, this.limits);
    const lockDelay = Math.max(this.limits.lockDelayMs, ttl);
    const sessionId = randomBytes(16).toString('hex');
    const r = await this.run(SCRIPTS.openSession, [sessionId, ttl, lockDelay]);
    return { sessionId, ttlMs: asNumber(r.rest[0], 'ttl'), lockDelayMs: asNumber(r.rest[1], 'lock-delay') };
  }

  async keepAlive(sessionId: string): Promise<SessionGrant> {
    if (!check.isSessionIdShape(sessionId)) throw check.unknownSession(sessionId);
    const r = await this.run(SCRIPTS.keepAlive, [sessionId]);
    return { sessionId, ttlMs: asNumber(r.rest[0], 'ttl'), lockDelayMs: asNumber(r.rest[1], 'lock-delay') };
  }

  async closeSession(sessionId: string): Promise<void> {
    if (!check.isSessionIdShape(sessionId)) throw check.unknownSession(sessionId);
    await this.run(SCRIPTS.closeSession, [sessionId]);
  }

  // ---- files -----------------------------------------------------------

  async createFile(path: string, contents: Uint8Array, opts: { ephemeralOwner?: string } = {}): Promise<Read<StoredFile>> {
    check.checkFilePath(path);
    check.checkContents(contents, this.limits);
    const owner = opts.ephemeralOwner;
    if (owner !== undefined && !check.isSessionIdShape(owner)) {
      throw new KdiError('FAILED_PRECONDITION', `ephemeral file ${path} needs a live session; ${JSON.stringify(owner)} is not one`);
    }
    const r = await this.run(SCRIPTS.createFile, [path, bytesArg(contents), owner ?? '']);
    return { value: decodeFile(r.rest[0]), revision: r.revision };
  }

  async getFile(path: string): Promise<Read<StoredFile>> {
    check.checkFilePath(path);
    const r = await this.run(SCRIPTS.getFile, [path]);
    return { value: decodeFile(r.rest[0]), revision: r.revision };
  }

  async setContents(path: string, contents: Uint8Array, opts: { ifGeneration?: number } = {}): Promise<Read<StoredFile>> {
    check.checkFilePath(path);
    check.checkContents(contents, this.limits);
    check.checkGeneration(opts.ifGeneration, 'ifGeneration');
    const r = await this.run(SCRIPTS.setContents, [path, bytesArg(contents), optionalNumber(opts.ifGeneration)]);
    return { value: decodeFile(r.rest[0]), revision: r.revision };
  }

  async deleteFile(path: string, opts: { ifGeneration?: number; sessionId?: string } = {}): Promise<void> {
    check.checkFilePath(path);
    check.checkGeneration(opts.ifGeneration, 'ifGeneration');
    // A malformed caller session holds nothing: the delete goes ahead only if nobody holds the lock.
    const caller = opts.sessionId !== undefined && check.isSessionIdShape(opts.sessionId) ? opts.sessionId : '';
    await this.run(SCRIPTS.deleteFile, [path, optionalNumber(opts.ifGeneration), caller]);
  }

  async listChildren(dir: string): Promise<Read<ChildEntry[]>> {
    check.checkDirPath(dir);
    const r = await this.run(SCRIPTS.listChildren, [dir]);
    return { value: decodeChildren(r.rest[0], dir), revision: r.revision };
  }

  // ---- locks -------------------------------------------------------------

  async acquire(req: { sessionId: string; path: string; mode: Sequencer['mode']; requestId: string }): Promise<AcquireOutcome> {
    check.checkFilePath(req.path);
    check.checkMode(req.mode);
    check.checkRequestId(req.requestId);
    if (!check.isSessionIdShape(req.sessionId)) throw check.unknownSession(req.sessionId);
    const r = await this.run(SCRIPTS.acquire, [req.sessionId, req.path, req.mode, req.requestId]);
    if (asNumber(r.rest[0], 'acquired') === 1) {
      const mode = asString(r.rest[2], 'mode') === 'shared' ? 'shared' : 'exclusive';
      return { acquired: true, sequencer: { path: req.path, mode, generation: asNumber(r.rest[1], 'generation') } };
    }
    const reason = asString(r.rest[1], 'reason');
    if (reason !== 'held' && reason !== 'lock-delay' && reason !== 'safe-mode') {
      throw new KdiError('INTERNAL', `lock store: unknown refusal ${reason}`);
    }
    if (reason === 'held') return { acquired: false, reason };
    return { acquired: false, reason, retryAfterMs: asNumber(r.rest[2], 'retry after') };
  }

  async release(sessionId: string, path: string): Promise<boolean> {
    check.checkFilePath(path);
    if (!check.isSessionIdShape(sessionId)) throw check.unknownSession(sessionId);
    const r = await this.run(SCRIPTS.release, [sessionId, path]);
    return asNumber(r.rest[0], 'released') === 1;
  }

  async validateSequencer(s: Sequencer): Promise<{ valid: boolean; reason?: string }> {
    check.checkFilePath(s.path);
    check.checkMode(s.mode);
    check.checkGeneration(s.generation, 'generation');
    const r = await this.run(SCRIPTS.validateSequencer, [s.path, s.mode, s.generation]);
    if (asNumber(r.rest[0], 'valid') === 1) return { valid: true };
    return { valid: false, reason: asString(r.rest[1], 'reason') };
  }

  // ---- events and status ----------------------------------------------

  async readEvents(after: number | undefined, limit: number): Promise<EventBatch> {
    check.checkGeneration(after, 'after');
    const count = check.checkReadLimit(limit);
    const r = await this.run(SCRIPTS.readEvents, [optionalNumber(after), count]);
    const reset = asNumber(r.rest[0], 'reset') === 1;
    const events: WatchEvent[] = asArray(r.rest[1], 'events').map((raw) => {
      const [revision, type, path] = asArray(raw, 'event');
      const parsedType = WatchEventTypeSchema.safeParse(asString(type, 'event type'));
      if (!parsedType.success) throw new KdiError('INTERNAL', 'lock store: unknown event type in the Redis stream');
      return { revision: asNumber(revision, 'event revision'), type: parsedType.data, path: asString(path, 'event path') };
    });
    return { events, revision: events[events.length - 1]?.revision ?? r.revision, reset };
  }

  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || !this.tail) return Promise.resolve();
    return this.tail.wait(after, timeoutMs, signal);
  }

  async expireSessions(): Promise<void> {
    await this.run(SCRIPTS.expireSessions, []);
  }

  async status(): Promise<StoreStatus> {
    const r = await this.run(SCRIPTS.status, []);
    return {
      backend: 'redis',
      incarnation: r.incarnation,
      revision: r.revision,
      safeModeRemainingMs: asNumber(r.rest[0], 'safe mode remaining'),
      sessions: asNumber(r.rest[1], 'sessions'),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail?.close();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  // ---- the one way to Redis ----------------------------------------------

  private async run(script: LuaScript, args: readonly ScriptArg[]): Promise<ScriptReply> {
    if (this.closed) throw new KdiError('UNAVAILABLE', `the lock store is closed; ${script.name} was not sent`);
    const common: ScriptArg[] = [this.prefix, randomBytes(12).toString('hex'), this.seen, this.limits.maxTtlMs + this.limits.lockDelayMs, this.limits.eventRetention];
    let raw: unknown;
    try {
      raw = await runScript(this.redis, script, [...common, ...args]);
    } catch (err) {
      throw toStoreError(err, script.name);
    }
    const reply = decodeReply(raw);
    this.observe(reply);
    return reply;
  }

  private observe(reply: ScriptReply): void {
    if (reply.incarnation !== this.incarnation) {
      const previous = this.incarnation;
      this.incarnation = reply.incarnation;
      if (previous !== undefined) {
        this.logger.warn(
          `Redis lost (or rolled back) the lock state: new incarnation ${reply.incarnation} replaces ${previous}; sessions and locks are gone and no lock is granted for ${this.limits.maxTtlMs + this.limits.lockDelayMs} ms`,
        );
        this.tail?.noteNewIncarnation(reply.revision);
      }
    }
    if (reply.revision > this.seen) this.seen = reply.revision;
    this.tail?.noteRevision(reply.revision);
  }
}

function bytesArg(contents: Uint8Array): Buffer {
  return Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength);
}

function optionalNumber(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}
