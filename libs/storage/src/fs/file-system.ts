// The FileSystem port: every byte of engine I/O goes through it (LevelDB's
// Env, Pebble's vfs). Three implementations: node-file-system (real fsync),
// memory-file-system (crash() drops what was not synced) and
// faulty-file-system (fails chosen operations).
//
// Durability contract, the same for every implementation:
//  - bytes written to a WritableFile are durable once sync() has resolved;
//  - create (openWrite of a new file), rename, unlink and mkdir are durable
//    when the call resolves (the Node implementation fsyncs the directory);
//  - writeFileAtomic(path, data) either leaves the old contents or the new
//    ones, never a mix, even across a crash.
// Paths are POSIX-style ('/'-separated). Errors are StorageError('io') —
// 'not-found' for ENOENT — with the Node error code (ENOENT, ENOSPC, EIO, ...)
// in `cause.code` (fsErrorCode(e) reads it; see fs-error.ts). Bytes read are
// plain Uint8Arrays, never Buffers.

export interface ReadableFile {
  readonly path: string;
  /** Size when opened; the file is not expected to grow while read. */
  readonly size: number;
  /** Reads up to `length` bytes at `position`; fewer only at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface WritableFile {
  readonly path: string;
  /** Current length of the file, including unsynced bytes. */
  readonly size: number;
  /** Appends at the end of the file. */
  append(data: Uint8Array): Promise<void>;
  /** fdatasync: everything appended so far becomes durable. */
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes (not durable until sync()). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenWriteMode = 'create-new' | 'truncate' | 'append';

export interface FileSystem {
  openRead(path: string): Promise<ReadableFile>;
  /** create-new fails with EEXIST if the file exists; append opens or creates. */
  openWrite(path: string, mode: OpenWriteMode): Promise<WritableFile>;
  readFile(path: string): Promise<Uint8Array>;
  /** temp file, write, fsync, rename over `path`, fsync the directory. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the directory and any missing parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Names (not paths) in a directory, sorted; ENOENT if it does not exist. */
  list(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  stat(path: string): Promise<{ size: number; isDirectory: boolean }>;
}
