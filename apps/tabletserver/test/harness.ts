// The tablet server in-process for inject tests: the node main.ts runs
// (src/node/tablet-node.ts createTabletNode: a real storage engine on real
// files — NodeFileSystem in a fresh temporary directory, optionally behind
// a fault-injecting FileSystem wrapper — a real TabletServer, the app),
// driven through inject. Automatic split checks are off unless a test asks
// (it calls server.checkSplits()); no block cache and no worker threads
// unless a test's config asks. With config.lockUrl the node is part of a
// cluster; a test listens and calls node.join(url) (test/node.test.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELL_BLOCK_MIME_TYPE, decodeCellBlock, NO_LIMITS, type Cell, type JsonCell } from '@kdi/protocol';
import { NodeFileSystem, type EngineOptions, type FileSystem } from '@kdi/storage';
import { injectRequest, type InjectReply } from '@kdi/service-kit/testing';
import { expect } from 'vitest';
import { parseConfig, type TabletServerConfig, type TabletServerConfigInput } from '../src/config.js';
import type { TabletApp } from '../src/http/tablet-app.js';
import { createTabletNode, type TabletNode, type TabletNodePorts } from '../src/node/tablet-node.js';
import type { TabletServer, TabletServerOptions } from '../src/tablets/tablet-server.js';

export const TEST_SECRET = 'test-cluster-secret-0123456789';

export type Reply = InjectReply;

export interface CallOptions {
  /** Sent as JSON unless a string (sent as is, Content-Type application/json) or a Buffer (sent as a cell block). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Add the cluster secret (default: for /v1/admin paths). */
  readonly auth?: boolean;
}

export interface StartOptions {
  readonly config?: Partial<TabletServerConfigInput>;
  readonly engine?: Partial<EngineOptions>;
  readonly server?: Partial<TabletServerOptions>;
  /** Wraps the real filesystem (e.g. in a FaultyFileSystem). */
  readonly wrapFs?: (fs: FileSystem) => FileSystem;
  readonly now?: () => number;
  /** Reopen an existing data directory (a restart) instead of a fresh one. */
  readonly dataDir?: string;
  /** Other ports of the node (logger, lock client, lease-lost handler). */
  readonly ports?: Omit<TabletNodePorts, 'fs' | 'engine' | 'server' | 'now'>;
}

export class TestServer {
  private constructor(
    readonly node: TabletNode,
    readonly dataDir: string,
  ) {}

  get app(): TabletApp {
    return this.node.app;
  }

  get server(): TabletServer {
    return this.node.server;
  }

  get config(): TabletServerConfig {
    return this.node.config;
  }

  static async start(opts: StartOptions = {}): Promise<TestServer> {
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kdi-tabletserver-test-')));
    const config = parseConfig({
      serverId: 'ts-test',
      dataDir,
      clusterSecret: TEST_SECRET,
      logLevel: 'silent',
      splitCheckIntervalMs: 0,
      blockCacheBytes: 0,
      workerThreads: 0,
      ...opts.config,
    });
    const fs = opts.wrapFs ? opts.wrapFs(new NodeFileSystem()) : new NodeFileSystem();
    const node = await createTabletNode(config, {
      ...opts.ports,
      fs,
      ...(opts.engine && { engine: opts.engine }),
      ...(opts.server && { server: opts.server }),
      ...(opts.now && { now: opts.now }),
    });
    return new TestServer(node, dataDir);
  }

  /** Closes the node (app, server, membership); the data directory goes unless kept (for a restart). */
  async close(opts: { keepData?: boolean } = {}): Promise<void> {
    await this.node.close();
    if (opts.keepData !== true) await rm(this.dataDir, { recursive: true, force: true });
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.auth ?? url.startsWith('/v1/admin')) headers['authorization'] = `Bearer ${TEST_SECRET}`;
    return injectRequest(this.app, { method, url, body: opts.body, bufferType: CELL_BLOCK_MIME_TYPE, headers: { ...headers, ...opts.headers } });
  }

  /** Loads a tablet through the admin API; bounds are UTF-8 text. */
  async load(table: string, tabletId: string, bounds: { lower?: string; upper?: string; schema?: unknown } = {}): Promise<void> {
    const r = await this.call('POST', '/v1/admin/tablets', {
      body: {
        table,
        tabletId,
        ...(bounds.lower !== undefined && { lowerExclusive: bounds.lower }),
        ...(bounds.upper !== undefined && { upperInclusive: bounds.upper }),
        ...(bounds.schema !== undefined && { schema: bounds.schema }),
      },
    });
    expect(r.status, r.text).toBe(201);
  }

  /** Applies JSON cells; returns the commitTxn. */
  async apply(table: string, cells: readonly JsonCell[], extra: Record<string, unknown> = {}): Promise<number> {
    const r = await this.call('POST', `/v1/tables/${table}/apply`, { body: { cells, ...extra } });
    expect(r.status, r.text).toBe(200);
    return r.body.commitTxn as number;
  }

  /** Every cell of a scan, following resume tokens (JSON pages, utf8 unless the server switches). */
  async scanAll(table: string, predicate = '', page: { maxCells?: number; maxBytes?: number } = {}): Promise<{ cells: JsonCell[]; pages: number }> {
    const cells: JsonCell[] = [];
    let resume: string | undefined;
    for (let pages = 1; ; pages++) {
      const r = await this.call('POST', `/v1/tables/${table}/scan`, { body: { predicate, ...page, ...(resume !== undefined && { resume }) } });
      expect(r.status, r.text).toBe(200);
      cells.push(...(r.body.cells as JsonCell[]));
      if (r.body.end) return { cells, pages };
      expect(r.body.nextRow, 'this server serves the whole scan').toBeUndefined();
      resume = r.body.resume as string;
      if (pages > 100_000) throw new Error('scan does not end');
    }
  }

  /** A binary scan page: cells decoded, headers as facts. */
  async scanBinary(table: string, body: Record<string, unknown>): Promise<{ reply: Reply; cells: Cell[] }> {
    const reply = await this.call('POST', `/v1/tables/${table}/scan`, { body, headers: { accept: CELL_BLOCK_MIME_TYPE } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers['content-type']).toBe(CELL_BLOCK_MIME_TYPE);
    return { reply, cells: decodeCellBlock(reply.raw, { limits: NO_LIMITS, requireSorted: true }) };
  }

  /**
   * Runs `bad`, which must fail with `status`/`code` and a message matching
   * `message`, and checks that it changed nothing: no txn was handed out to
   * a write, and the given tables scan the same as before.
   */
  async expectRefused(bad: () => Promise<Reply>, expected: { status: number; code: string; message?: RegExp }, tables: readonly string[] = []): Promise<Reply> {
    const txnBefore = this.server.currentTxn;
    const before = await Promise.all(tables.map((t) => this.scanAll(t)));
    const r = await bad();
    expect(r.status, r.text).toBe(expected.status);
    expect(r.body?.error?.code, r.text).toBe(expected.code);
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error.message.length).toBeGreaterThan(10);
    if (expected.message) expect(r.body.error.message).toMatch(expected.message);
    expect(r.body.error.requestId).toBe(r.headers['x-request-id']);
    expect(this.server.currentTxn).toBe(txnBefore);
    const after = await Promise.all(tables.map((t) => this.scanAll(t)));
    expect(after.map((a) => a.cells)).toEqual(before.map((b) => b.cells));
    return r;
  }
}

export function cell(row: string, column: string, timestamp: number, value: string): JsonCell {
  return { row, column, timestamp, value };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
