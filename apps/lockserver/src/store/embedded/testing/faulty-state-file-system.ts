// A StateFileSystem for tests (Pebble's errorfs idea): wraps the real one
// and fails chosen operations with an errno (ENOSPC, EIO), or "crashes"
// just before an operation — after which every operation throws, as nothing
// more happens in a dead process, and the files stay exactly as they were.

import { NODE_STATE_FILE_SYSTEM, type StateFileSystem } from '../state-file-system.js';

export type StateFileOp = keyof StateFileSystem;

export class FaultyStateFileSystem implements StateFileSystem {
  private readonly failures = new Map<StateFileOp, { code: string; times: number }>();
  private crashBefore: StateFileOp | undefined;
  crashed = false;
  readonly calls: StateFileOp[] = [];

  constructor(private readonly inner: StateFileSystem = NODE_STATE_FILE_SYSTEM) {}

  /** The next `times` calls of `op` throw an errno error with `code`. */
  fail(op: StateFileOp, code: string, times = 1): void {
    this.failures.set(op, { code, times });
  }

  /** The process "dies" when it next reaches `op`. */
  crashAt(op: StateFileOp): void {
    this.crashBefore = op;
  }

  readFile(path: string): Uint8Array | undefined {
    this.enter('readFile');
    return this.inner.readFile(path);
  }
  writeFileDurably(path: string, data: Uint8Array): void {
    this.enter('writeFileDurably');
    this.inner.writeFileDurably(path, data);
  }
  rename(from: string, to: string): void {
    this.enter('rename');
    this.inner.rename(from, to);
  }
  syncDirectory(dir: string): void {
    this.enter('syncDirectory');
    this.inner.syncDirectory(dir);
  }
  makeDirectory(dir: string): void {
    this.enter('makeDirectory');
    this.inner.makeDirectory(dir);
  }
  removeIfExists(path: string): void {
    this.enter('removeIfExists');
    this.inner.removeIfExists(path);
  }

  private enter(op: StateFileOp): void {
    if (this.crashed) throw new Error(`simulated crash: ${op} after the process died`);
    if (this.crashBefore === op) {
      this.crashed = true;
      throw new Error(`simulated crash before ${op}`);
    }
    this.calls.push(op);
    const failure = this.failures.get(op);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      const e = new Error(`${failure.code}: simulated failure of ${op}`) as NodeJS.ErrnoException;
      e.code = failure.code;
      throw e;
    }
  }
}
