// An in-memory FileSystem (LevelDB's memenv) with a crash model, for tests.
// Every file keeps its live bytes and a durable snapshot — what a machine
// crash would leave:
//  - WritableFile.sync() makes the live bytes durable;
//  - appends and truncates are lost by crash() unless synced;
//  - create, rename, unlink, mkdir, rmdir and writeFileAtomic are durable as
//    soon as they resolve (the contract in file-system.ts). A newly created
//    file is durably empty until synced; a renamed file carries its durable
//    bytes with it.
// crash() reverts every file to its snapshot (optionally keeping a prefix of
// unsynced appends, as a disk that wrote some pages would) and invalidates
// every open handle (later calls on one throw StorageError('closed')). Errors use Node's
// errno names (ENOENT, EEXIST, ENOTDIR, ENOTEMPTY, EISDIR) via fs-error.ts.
import { closed } from '../errors.js';
import type { FileSystem, OpenWriteMode, ReadableFile, WritableFile } from './file-system.js';
import { checkRange, errnoError, fsErrorCode } from './fs-error.js';

interface FileNode {
  readonly kind: 'file';
  /** Live bytes in [0, size); capacity grows by doubling. */
  data: Uint8Array;
  size: number;
  /** Durable bytes in [0, durableSize). */
  durable: Uint8Array;
  durableSize: number;
  /** Lowest offset where live and durable bytes may differ. */
  dirtyFrom: number;
}

interface DirNode {
  readonly kind: 'dir';
  readonly children: Map<string, Node>;
}

type Node = FileNode | DirNode;

export class MemoryFileSystem implements FileSystem {
  private readonly root: DirNode = newDir();
  /** Bumped by crash(); handles from an older generation are dead. */
  private generation = 0;

  /**
   * Simulates a machine crash: unsynced bytes are lost, open handles die.
   * `keepUnsynced` models a disk that wrote some of them in order: for a file
   * whose unsynced change is pure appending, it is asked how many of those
   * `unsynced` bytes (a prefix) made it; they become durable.
   */
  crash(keepUnsynced?: (path: string, unsynced: number) => number): void {
    this.generation++;
    for (const [path, file] of walkFiles(this.root, '')) {
      let keep = file.durableSize;
      if (keepUnsynced !== undefined && file.dirtyFrom === file.durableSize && file.size > file.durableSize) {
        const extra = keepUnsynced(path, file.size - file.durableSize);
        keep += Math.max(0, Math.min(Math.floor(extra), file.size - file.durableSize));
      }
      const data = new Uint8Array(keep);
      data.set(file.durable.subarray(0, file.durableSize));
      data.set(file.data.subarray(file.durableSize, keep), file.durableSize);
      file.data = data;
      file.durable = data.slice();
      file.size = file.durableSize = file.dirtyFrom = keep;
    }
  }

  /** Live bytes held in all files (unsynced included). */
  totalBytes(): number {
    let n = 0;
    for (const [, file] of walkFiles(this.root, '')) n += file.size;
    return n;
  }

  /** Bytes that would survive a crash now. */
  durableBytes(): number {
    let n = 0;
    for (const [, file] of walkFiles(this.root, '')) n += file.durableSize;
    return n;
  }

  async openRead(path: string): Promise<ReadableFile> {
    const file = this.fileAt('open', path);
    return new MemoryReadableFile(path, file, () => this.generation);
  }

  async openWrite(path: string, mode: OpenWriteMode): Promise<WritableFile> {
    const { dir, name } = this.parentOf('open', path);
    const existing = dir.children.get(name);
    let file: FileNode;
    if (existing === undefined) {
      file = newFile(new Uint8Array(0));
      dir.children.set(name, file);
    } else if (mode === 'create-new') {
      throw errnoError('EEXIST', 'open', path);
    } else if (existing.kind === 'dir') {
      throw errnoError('EISDIR', 'open', path);
    } else {
      file = existing;
      if (mode === 'truncate') setSize(file, 0);
    }
    return new MemoryWritableFile(path, file, () => this.generation);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const file = this.fileAt('readFile', path);
    return copyOf(file.data, file.size);
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const { dir, name } = this.parentOf('writeFileAtomic', path);
    if (dir.children.get(name)?.kind === 'dir') throw errnoError('EISDIR', 'rename', path);
    dir.children.set(name, newFile(data));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.parentOf('rename', from);
    const node = src.dir.children.get(src.name);
    if (node === undefined) throw errnoError('ENOENT', 'rename', from);
    const dst = this.parentOf('rename', to);
    const target = dst.dir.children.get(dst.name);
    if (target === node) return;
    if (node.kind === 'dir' && isWithin(parts(to), parts(from))) {
      throw errnoError('EINVAL', 'rename', from, `cannot move a directory into itself: ${to}`);
    }
    if (target !== undefined) {
      if (node.kind === 'file' && target.kind === 'dir') throw errnoError('EISDIR', 'rename', to);
      if (node.kind === 'dir' && target.kind === 'file') throw errnoError('ENOTDIR', 'rename', to);
      if (target.kind === 'dir' && target.children.size > 0) throw errnoError('ENOTEMPTY', 'rename', to);
    }
    src.dir.children.delete(src.name);
    dst.dir.children.set(dst.name, node);
  }

  async unlink(path: string): Promise<void> {
    const { dir, name } = this.parentOf('unlink', path);
    const node = dir.children.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw errnoError('EISDIR', 'unlink', path);
    dir.children.delete(name);
  }

  async mkdir(path: string): Promise<void> {
    let dir = this.root;
    const names = parts(path);
    for (const [i, name] of names.entries()) {
      const next = dir.children.get(name);
      if (next === undefined) {
        const created = newDir();
        dir.children.set(name, created);
        dir = created;
      } else if (next.kind === 'file') {
        throw errnoError(i === names.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      } else {
        dir = next;
      }
    }
  }

  async rmdir(path: string): Promise<void> {
    const { dir, name } = this.parentOf('rmdir', path);
    const node = dir.children.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'rmdir', path);
    if (node.kind === 'file') throw errnoError('ENOTDIR', 'rmdir', path);
    if (node.children.size > 0) throw errnoError('ENOTEMPTY', 'rmdir', path);
    dir.children.delete(name);
  }

  async list(path: string): Promise<string[]> {
    const node = this.lookup('list', path);
    if (node === undefined) throw errnoError('ENOENT', 'list', path);
    if (node.kind === 'file') throw errnoError('ENOTDIR', 'list', path);
    return [...node.children.keys()].sort();
  }

  async exists(path: string): Promise<boolean> {
    try {
      return this.lookup('stat', path) !== undefined;
    } catch (e) {
      if (fsErrorCode(e) === 'ENOTDIR') return false;
      throw e;
    }
  }

  async stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    const node = this.lookup('stat', path);
    if (node === undefined) throw errnoError('ENOENT', 'stat', path);
    return node.kind === 'dir' ? { size: 0, isDirectory: true } : { size: node.size, isDirectory: false };
  }

  /** The node at `path`, undefined if missing; ENOTDIR if a parent is a file. */
  private lookup(op: string, path: string): Node | undefined {
    let node: Node = this.root;
    for (const name of parts(path)) {
      if (node.kind === 'file') throw errnoError('ENOTDIR', op, path);
      const next: Node | undefined = node.children.get(name);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private fileAt(op: string, path: string): FileNode {
    const node = this.lookup(op, path);
    if (node === undefined) throw errnoError('ENOENT', op, path);
    if (node.kind === 'dir') throw errnoError('EISDIR', op, path);
    return node;
  }

  /** The existing directory holding `path`'s last component, and that name. */
  private parentOf(op: string, path: string): { dir: DirNode; name: string } {
    const all = parts(path);
    const name = all.pop();
    if (name === undefined) throw errnoError('EISDIR', op, path);
    let dir: DirNode = this.root;
    for (const part of all) {
      const next = dir.children.get(part);
      if (next === undefined) throw errnoError('ENOENT', op, path);
      if (next.kind === 'file') throw errnoError('ENOTDIR', op, path);
      dir = next;
    }
    return { dir, name };
  }
}

class MemoryReadableFile implements ReadableFile {
  readonly size: number;
  private readonly openedIn: number;
  private isClosed = false;
  constructor(
    readonly path: string,
    private readonly file: FileNode,
    private readonly generation: () => number,
  ) {
    this.size = file.size;
    this.openedIn = generation();
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    this.check();
    checkRange(position, length);
    const start = Math.min(position, this.file.size);
    const end = Math.min(position + length, this.file.size);
    return this.file.data.slice(start, end);
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }

  private check(): void {
    if (this.isClosed || this.generation() !== this.openedIn) throw closed(`file ${this.path}`);
  }
}

class MemoryWritableFile implements WritableFile {
  private readonly openedIn: number;
  private isClosed = false;
  constructor(
    readonly path: string,
    private readonly file: FileNode,
    private readonly generation: () => number,
  ) {
    this.openedIn = generation();
  }

  get size(): number {
    return this.file.size;
  }

  async append(data: Uint8Array): Promise<void> {
    this.check();
    const file = this.file;
    const end = file.size + data.length;
    file.data = ensureCapacity(file.data, file.size, end);
    file.data.set(data, file.size);
    file.dirtyFrom = Math.min(file.dirtyFrom, file.size);
    file.size = end;
  }

  async sync(): Promise<void> {
    this.check();
    const file = this.file;
    file.durable = ensureCapacity(file.durable, Math.min(file.durableSize, file.dirtyFrom), file.size);
    file.durable.set(file.data.subarray(file.dirtyFrom, file.size), file.dirtyFrom);
    file.durableSize = file.size;
    file.dirtyFrom = file.size;
  }

  async truncate(length: number): Promise<void> {
    this.check();
    checkRange(length, 0);
    setSize(this.file, length);
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }

  private check(): void {
    if (this.isClosed || this.generation() !== this.openedIn) throw closed(`file ${this.path}`);
  }
}

function newDir(): DirNode {
  return { kind: 'dir', children: new Map() };
}

function newFile(content: Uint8Array): FileNode {
  return {
    kind: 'file',
    data: copyOf(content, content.length),
    size: content.length,
    durable: copyOf(content, content.length),
    durableSize: content.length,
    dirtyFrom: content.length,
  };
}

/** Truncates or zero-extends a file's live bytes. */
function setSize(file: FileNode, length: number): void {
  if (length > file.size) {
    file.data = ensureCapacity(file.data, file.size, length);
    file.data.fill(0, file.size, length);
  }
  file.dirtyFrom = Math.min(file.dirtyFrom, file.size, length);
  file.size = length;
}

/** `buf` if it can hold `needed` bytes, else a larger copy of its first `keep` bytes. */
function ensureCapacity(buf: Uint8Array, keep: number, needed: number): Uint8Array {
  if (needed <= buf.length) return buf;
  const grown = new Uint8Array(Math.max(needed, buf.length * 2, 64));
  grown.set(buf.subarray(0, keep));
  return grown;
}

function copyOf(buf: Uint8Array, length: number): Uint8Array {
  return buf.slice(0, length);
}

function* walkFiles(dir: DirNode, path: string): Generator<[string, FileNode]> {
  for (const [name, node] of dir.children) {
    if (node.kind === 'file') yield [`${path}/${name}`, node];
    else yield* walkFiles(node, `${path}/${name}`);
  }
}

/** Path components; '.' and empty ones dropped, '..' pops (never above the root). */
function parts(path: string): string[] {
  const out: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}

function isWithin(inner: string[], outer: string[]): boolean {
  return inner.length > outer.length && outer.every((p, i) => inner[i] === p);
}
