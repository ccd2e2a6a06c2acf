// The FileSystem port on node:fs/promises — the only file in libs/storage
// that touches Node's fs. Durability as file-system.ts promises:
//  - WritableFile.sync() is fdatasync;
//  - creating a file, rename, unlink, mkdir and rmdir fsync the parent
//    directory (both parents for a rename across directories) before they
//    resolve, so the directory entry survives a machine crash;
//  - writeFileAtomic writes `<path>.tmp-<random>`, fdatasyncs it, renames it
//    over `path` and fsyncs the directory; the temp file is removed on failure.
// Bytes read come back as plain Uint8Arrays, never Buffers.
// Errors: StorageError with Node's error (and its `code`) as `cause`; kind
// 'not-found' for ENOENT, 'io' otherwise (see fs-error.ts).
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { closed } from '../errors.js';
import type { FileSystem, OpenWriteMode, ReadableFile, WritableFile } from './file-system.js';
import { checkRange, errnoError, fsError, fsErrorCode } from './fs-error.js';

const { O_CREAT, O_EXCL, O_RDWR } = fsConstants;

export class NodeFileSystem implements FileSystem {
  async openRead(path: string): Promise<ReadableFile> {
    const fh = await call('open', path, () => fsp.open(path, 'r'));
    try {
      const st = await call('stat', path, () => fh.stat());
      if (st.isDirectory()) throw errnoError('EISDIR', 'open', path);
      return new NodeReadableFile(path, fh, st.size);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  async openWrite(path: string, mode: OpenWriteMode): Promise<WritableFile> {
    // Try an exclusive create first so we know whether a directory entry was
    // made (and must be made durable); fall back to opening the existing file.
    let fh: FileHandle;
    let created = true;
    try {
      fh = await fsp.open(path, O_RDWR | O_CREAT | O_EXCL, 0o644);
    } catch (e) {
      if (fsErrorCode(e) !== 'EEXIST' || mode === 'create-new') throw fsError('open', path, e);
      created = false;
      // 'r+' rather than 'a': with O_APPEND, Linux ignores pwrite's position.
      fh = await call('open', path, () => fsp.open(path, mode === 'truncate' ? 'w' : 'r+'));
    }
    try {
      const size = created || mode === 'truncate' ? 0 : (await call('stat', path, () => fh.stat())).size;
      if (created) await syncDir(posix.dirname(path));
      return new NodeWritableFile(path, fh, size);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    return plain(await call('readFile', path, () => fsp.readFile(path)));
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    let fh: FileHandle | undefined;
    try {
      const h = await call('open', tmp, () => fsp.open(tmp, 'wx', 0o644));
      fh = h;
      await writeAll(h, tmp, data, 0);
      await call('fdatasync', tmp, () => h.datasync());
      fh = undefined;
      await call('close', tmp, () => h.close());
      await call('rename', tmp, () => fsp.rename(tmp, path));
    } catch (e) {
      if (fh !== undefined) await fh.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
      throw e;
    }
    await syncDir(posix.dirname(path));
  }

  async rename(from: string, to: string): Promise<void> {
    await call('rename', from, () => fsp.rename(from, to));
    const fromDir = posix.dirname(from);
    const toDir = posix.dirname(to);
    await syncDir(toDir);
    if (fromDir !== toDir) await syncDir(fromDir);
  }

  async unlink(path: string): Promise<void> {
    await call('unlink', path, () => fsp.unlink(path));
    await syncDir(posix.dirname(path));
  }

  async mkdir(path: string): Promise<void> {
    // Returns the first directory it created (undefined if none): every new
    // directory's entry lives in its parent, so fsync each of those parents.
    const first = await call('mkdir', path, () => fsp.mkdir(path, { recursive: true }));
    if (first === undefined) return;
    const firstDir = posix.resolve(first);
    for (let dir = posix.resolve(path); ; dir = posix.dirname(dir)) {
      await syncDir(posix.dirname(dir));
      if (dir === firstDir || dir === posix.dirname(dir)) break;
    }
  }

  async rmdir(path: string): Promise<void> {
    await call('rmdir', path, () => fsp.rmdir(path));
    await syncDir(posix.dirname(path));
  }

  async list(path: string): Promise<string[]> {
    const names = await call('list', path, () => fsp.readdir(path));
    return names.sort();
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (e) {
      const code = fsErrorCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw fsError('stat', path, e);
    }
  }

  async stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    const st = await call('stat', path, () => fsp.stat(path));
    return { size: st.size, isDirectory: st.isDirectory() };
  }
}

/** An open FileHandle, closed once; every use after close() is refused. */
abstract class NodeOpenFile {
  private fh: FileHandle | undefined;
  constructor(
    readonly path: string,
    fh: FileHandle,
  ) {
    this.fh = fh;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    if (fh === undefined) return;
    this.fh = undefined;
    await call('close', this.path, () => fh.close());
  }

  protected handle(): FileHandle {
    if (this.fh === undefined) throw closed(`file ${this.path}`);
    return this.fh;
  }
}

class NodeReadableFile extends NodeOpenFile implements ReadableFile {
  constructor(
    path: string,
    fh: FileHandle,
    readonly size: number,
  ) {
    super(path, fh);
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    checkRange(position, length);
    const fh = this.handle();
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await call('read', this.path, () => fh.read(buf, got, length - got, position + got));
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return plain(buf).subarray(0, got);
  }
}

class NodeWritableFile extends NodeOpenFile implements WritableFile {
  constructor(
    path: string,
    fh: FileHandle,
    /** Advanced when an append is issued, so concurrent appends land in call order. */
    public size: number,
  ) {
    super(path, fh);
  }

  async append(data: Uint8Array): Promise<void> {
    const fh = this.handle();
    const position = this.size;
    this.size += data.length;
    const progress = { done: 0 };
    try {
      await writeAll(fh, this.path, data, position, progress);
    } catch (e) {
      // A short write before the failure (ENOSPC) leaves a prefix on disk;
      // when no later append was issued meanwhile, size tells the truth.
      if (this.size === position + data.length) this.size = position + progress.done;
      throw e;
    }
  }

  async sync(): Promise<void> {
    const fh = this.handle();
    return call('fdatasync', this.path, () => fh.datasync());
  }

  async truncate(length: number): Promise<void> {
    checkRange(length, 0);
    const fh = this.handle();
    await call('truncate', this.path, () => fh.truncate(length));
    this.size = length;
  }
}

/** Writes all of `data` at `position`, looping over short writes; `progress.done` counts bytes written. */
async function writeAll(fh: FileHandle, path: string, data: Uint8Array, position: number, progress = { done: 0 }): Promise<void> {
  while (progress.done < data.length) {
    const at = progress.done;
    const { bytesWritten } = await call('write', path, () => fh.write(data, at, data.length - at, position + at));
    progress.done += bytesWritten;
  }
}

/**
 * The same bytes as a plain Uint8Array (no copy): every FileSystem hands out
 * plain arrays, so no caller meets Buffer's different slice() (a view, not a copy).
 */
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** fsync a directory so entries created, renamed or removed in it are durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await call('open', dir, () => fsp.open(dir, 'r'));
  try {
    await call('fsync', dir, () => fh.sync());
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function call<T>(op: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fsError(op, path, e);
  }
}
