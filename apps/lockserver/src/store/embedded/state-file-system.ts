// The file-system port of the embedded store's persistence (LevelDB's Env
// idea): synchronous, because a change is one synchronous step and is
// acknowledged only after its state is durable. Tests wrap the Node
// implementation to inject failures (ENOSPC) and crashes.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface StateFileSystem {
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
  /** Writes (replacing) the file and fsyncs it before returning. */
  writeFileDurably(path: string, data: Uint8Array): void;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): void;
  /** fsyncs a directory, making renames and creations in it durable. */
  syncDirectory(dir: string): void;
  makeDirectory(dir: string): void;
  removeIfExists(path: string): void;
}

export const NODE_STATE_FILE_SYSTEM: StateFileSystem = {
  readFile(path) {
    try {
      return readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  },
  writeFileDurably(path, data) {
    const fd = openSync(path, 'w', 0o600);
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename(from, to) {
    renameSync(from, to);
  },
  syncDirectory(dir) {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  makeDirectory(dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  },
  removeIfExists(path) {
    rmSync(path, { force: true });
  },
};
