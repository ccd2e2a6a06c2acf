// A FileSystem that wraps another and fails chosen operations (Pebble's
// vfs/errorfs), for fault tests: "the 3rd sync fails with EIO", "every
// append to *.log fails with ENOSPC after writing half its bytes". It also
// counts operations (seen, in flight, peak concurrency) and can slow an
// operation down, so tests can assert how often and how concurrently the
// engine calls the disk.
// Injected failures are StorageError('io') whose `cause.code` is the errno
// name, exactly like a real failure from NodeFileSystem.
import type { FileSystem, OpenWriteMode, ReadableFile, WritableFile } from './file-system.js';
import { errnoError } from './fs-error.js';

export type FaultOp = 'open' | 'read' | 'append' | 'sync' | 'truncate' | 'close' | 'rename' | 'unlink' | 'mkdir' | 'rmdir' | 'list' | 'stat' | 'readFile' | 'writeFileAtomic';

export const FAULT_OPS: readonly FaultOp[] = [
  'open',
  'read',
  'append',
  'sync',
  'truncate',
  'close',
  'rename',
  'unlink',
  'mkdir',
  'rmdir',
  'list',
  'stat',
  'readFile',
  'writeFileAtomic',
];

export interface FaultRule {
  /** Only this operation (any if omitted). `exists` counts as 'stat'; openRead/openWrite as 'open'. */
  op?: FaultOp;
  /** Only paths matching (for rename: either path). */
  path?: RegExp;
  /** Fail starting at the nth matching operation, 1-based (default 1). */
  nth?: number;
  /** How many consecutive matching operations fail (default 1; Infinity = from then on). */
  times?: number;
  error: 'ENOSPC' | 'EIO';
  /**
   * For 'append': write a prefix first (a short write before the error):
   * true = half of the data, a number = that many bytes.
   */
  partial?: boolean | number;
}

interface RuleState {
  readonly rule: FaultRule;
  seen: number;
  failed: number;
}

export interface OpStats {
  /** Operations started (including failed ones). */
  count: number;
  inFlight: number;
  maxInFlight: number;
}

export class FaultyFileSystem implements FileSystem {
  private rules: RuleState[] = [];
  private stats = new Map<FaultOp, OpStats>();
  private readonly delays = new Map<FaultOp, number>();
  /** Failures injected so far. */
  injected = 0;

  constructor(readonly inner: FileSystem) {}

  /** Adds a rule; returns a function that removes it. */
  addRule(rule: FaultRule): () => void {
    const state: RuleState = { rule, seen: 0, failed: 0 };
    this.rules.push(state);
    return () => {
      this.rules = this.rules.filter((r) => r !== state);
    };
  }

  clearRules(): void {
    this.rules = [];
  }

  /** Makes every `op` wait `ms` milliseconds before reaching the inner filesystem (0 removes). */
  setDelay(op: FaultOp, ms: number): void {
    if (ms > 0) this.delays.set(op, ms);
    else this.delays.delete(op);
  }

  /** Statistics of one operation since construction or the last resetCounters(). */
  opStats(op: FaultOp): OpStats {
    return { ...(this.stats.get(op) ?? { count: 0, inFlight: 0, maxInFlight: 0 }) };
  }

  /** How many times `op` was started. */
  count(op: FaultOp): number {
    return this.stats.get(op)?.count ?? 0;
  }

  resetCounters(): void {
    this.stats = new Map();
    this.injected = 0;
  }

  openRead(path: string): Promise<ReadableFile> {
    return this.run('open', [path], async () => new FaultyReadableFile(this, await this.inner.openRead(path)));
  }

  openWrite(path: string, mode: OpenWriteMode): Promise<WritableFile> {
    return this.run('open', [path], async () => new FaultyWritableFile(this, await this.inner.openWrite(path, mode)));
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.run('readFile', [path], () => this.inner.readFile(path));
  }

  writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    return this.run('writeFileAtomic', [path], () => this.inner.writeFileAtomic(path, data));
  }

  rename(from: string, to: string): Promise<void> {
    return this.run('rename', [from, to], () => this.inner.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.run('unlink', [path], () => this.inner.unlink(path));
  }

  mkdir(path: string): Promise<void> {
    return this.run('mkdir', [path], () => this.inner.mkdir(path));
  }

  rmdir(path: string): Promise<void> {
    return this.run('rmdir', [path], () => this.inner.rmdir(path));
  }

  list(path: string): Promise<string[]> {
    return this.run('list', [path], () => this.inner.list(path));
  }

  exists(path: string): Promise<boolean> {
    return this.run('stat', [path], () => this.inner.exists(path));
  }

  stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    return this.run('stat', [path], () => this.inner.stat(path));
  }

  /**
   * Runs `fn` as operation `op` on `paths`: counts it, applies its delay, and
   * fails it instead when a rule says so (`onFail` runs first, for partial writes).
   */
  async run<T>(op: FaultOp, paths: string[], fn: () => Promise<T>, onFail?: (rule: FaultRule) => Promise<void>): Promise<T> {
    const st = this.stats.get(op) ?? { count: 0, inFlight: 0, maxInFlight: 0 };
    this.stats.set(op, st);
    st.count++;
    st.inFlight++;
    st.maxInFlight = Math.max(st.maxInFlight, st.inFlight);
    try {
      const rule = this.firing(op, paths);
      const delay = this.delays.get(op);
      if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
      if (rule !== undefined) {
        this.injected++;
        if (onFail !== undefined) await onFail(rule);
        throw errnoError(rule.error, op, paths[0] ?? '', 'injected');
      }
      return await fn();
    } finally {
      st.inFlight--;
    }
  }

  /** Counts the operation against every matching rule; returns the first that fires. */
  private firing(op: FaultOp, paths: string[]): FaultRule | undefined {
    let fire: RuleState | undefined;
    for (const r of this.rules) {
      if (r.rule.op !== undefined && r.rule.op !== op) continue;
      const re = r.rule.path;
      if (re !== undefined && !paths.some((p) => ((re.lastIndex = 0), re.test(p)))) continue;
      r.seen++;
      const nth = r.rule.nth ?? 1;
      if (fire === undefined && r.seen >= nth && r.failed < (r.rule.times ?? 1)) fire = r;
    }
    if (fire !== undefined) fire.failed++;
    return fire?.rule;
  }
}

class FaultyReadableFile implements ReadableFile {
  constructor(
    private readonly fs: FaultyFileSystem,
    private readonly inner: ReadableFile,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  get size(): number {
    return this.inner.size;
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.fs.run('read', [this.path], () => this.inner.read(position, length));
  }

  close(): Promise<void> {
    return this.fs.run(
      'close',
      [this.path],
      () => this.inner.close(),
      () => this.inner.close(),
    );
  }
}

class FaultyWritableFile implements WritableFile {
  constructor(
    private readonly fs: FaultyFileSystem,
    private readonly inner: WritableFile,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  get size(): number {
    return this.inner.size;
  }

  append(data: Uint8Array): Promise<void> {
    return this.fs.run(
      'append',
      [this.path],
      () => this.inner.append(data),
      async (rule) => {
        if (rule.partial === undefined || rule.partial === false) return;
        const n = rule.partial === true ? data.length >>> 1 : Math.min(Math.max(0, rule.partial), data.length);
        if (n > 0) await this.inner.append(data.subarray(0, n));
      },
    );
  }

  sync(): Promise<void> {
    return this.fs.run('sync', [this.path], () => this.inner.sync());
  }

  truncate(length: number): Promise<void> {
    return this.fs.run('truncate', [this.path], () => this.inner.truncate(length));
  }

  close(): Promise<void> {
    // A failed close still releases the handle, as close(2) does.
    return this.fs.run(
      'close',
      [this.path],
      () => this.inner.close(),
      () => this.inner.close(),
    );
  }
}
