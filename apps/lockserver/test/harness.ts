// The lock server in-process for inject tests: buildApp over a real
// EmbeddedLockStore in a fresh temporary directory. The store runs on a
// ManualClock, so leases and lock-delays end only when a test moves
// the clock (sessions never expire by accident in a slow run); waits and
// long polls still run on real timers.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileInfo } from '@kdi/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { injectRequest, type InjectReply } from '@kdi/service-kit/testing';
import { expect } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig, type LockServerConfig, type LockServerConfigInput } from '../src/config.js';
import type { LockApp } from '../src/http/lock-app.js';
import { EmbeddedLockStore } from '../src/store/embedded/index.js';
import type { LockStore, LockStoreLimits } from '../src/store/lock-store.js';
import { ManualClock } from '@kdi/primitives';

export const TEST_LIMITS: LockStoreLimits = {
  minTtlMs: 1_000,
  maxTtlMs: 60_000,
  lockDelayMs: 1_000,
  maxContentsBytes: 1_024,
  eventRetention: 64,
};

export const TEST_SECRET = 'test-cluster-secret-0123456789';

export type Reply = InjectReply;

export interface CallOptions {
  /** Sent as JSON unless a string (then sent as is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Leave out the Authorization header the server needs. */
  readonly noAuth?: boolean;
}

export class TestServer {
  private constructor(
    readonly app: LockApp,
    readonly store: EmbeddedLockStore,
    readonly clock: ManualClock,
    readonly config: LockServerConfig,
    readonly dataDir: string,
  ) {}

  /**
   * `wrapStore` puts a fault-injecting layer between the app and the real
   * store; `logger` captures the server log.
   */
  static async start(overrides: Partial<LockServerConfigInput> = {}, opts: { wrapStore?: (store: LockStore) => LockStore; logger?: FastifyBaseLogger } = {}): Promise<TestServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'kdi-lockserver-test-'));
    const config = parseConfig({ dataDir, logLevel: 'silent', limits: TEST_LIMITS, ...overrides });
    const clock = new ManualClock();
    const store = await EmbeddedLockStore.open({ dataDir, limits: config.limits, clock });
    const app = await buildApp(config, {
      store: opts.wrapStore ? opts.wrapStore(store) : store,
      ...(opts.logger && { logger: opts.logger }),
    });
    return new TestServer(app, store, clock, config, dataDir);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.store.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.config.clusterSecret !== undefined && !opts.noAuth) headers['authorization'] = `Bearer ${this.config.clusterSecret}`;
    return injectRequest(this.app, { method, url, body: opts.body, headers: { ...headers, ...opts.headers } });
  }

  async openSession(ttlMs?: number): Promise<string> {
    const r = await this.call('POST', '/v1/sessions', { body: ttlMs === undefined ? {} : { ttlMs } });
    expect(r.status, r.text).toBe(201);
    return r.body.sessionId as string;
  }

  async createFile(path: string, contents = '', extra: Record<string, unknown> = {}): Promise<FileInfo> {
    const r = await this.call('POST', `/v1/files${path}`, { body: { contents, ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body as FileInfo;
  }

  async readFile(path: string, encoding: 'utf8' | 'base64' = 'utf8'): Promise<Reply> {
    return this.call('GET', `/v1/files${path}?encoding=${encoding}`);
  }

  async revision(): Promise<number> {
    return (await this.store.status()).revision;
  }

  /**
   * Runs `bad`, which must fail with `status`/`code` and a message matching
   * `message`, and checks that it changed nothing: the store's revision
   * (every change takes a new one) and the given files read back the same.
   */
  async expectRefused(bad: () => Promise<Reply>, expected: { status: number; code: string; message?: RegExp }, files: readonly string[] = []): Promise<Reply> {
    const before = await this.revision();
    const filesBefore = await Promise.all(files.map((f) => this.readFile(f, 'base64')));
    const r = await bad();
    expect(r.status, r.text).toBe(expected.status);
    expect(r.body?.error?.code, r.text).toBe(expected.code);
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error.message.length).toBeGreaterThan(10);
    if (expected.message) expect(r.body.error.message).toMatch(expected.message);
    expect(r.body.error.requestId).toBe(r.headers['x-request-id']);
    expect(await this.revision()).toBe(before);
    const filesAfter = await Promise.all(files.map((f) => this.readFile(f, 'base64')));
    filesAfter.forEach((after, i) => {
      const prior = filesBefore[i]!;
      expect(after.status).toBe(prior.status);
      // The revision a read reports may differ only if something changed; contents and generation must not.
      expect({ ...after.body, revision: 0 }).toEqual({ ...prior.body, revision: 0 });
    });
    return r;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` gives a truthy value; bounds only a failing wait. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}
