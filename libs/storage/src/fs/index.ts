// The filesystem port and its implementations. The conformance suite
// (file-system-conformance.ts) imports vitest and is deliberately not
// re-exported here; tests import it by path.
export type { FileSystem, OpenWriteMode, ReadableFile, WritableFile } from './file-system.js';
export { NodeFileSystem } from './node-file-system.js';
export { MemoryFileSystem } from './memory-file-system.js';
export { FAULT_OPS, FaultyFileSystem } from './faulty-file-system.js';
export type { FaultOp, FaultRule, OpStats } from './faulty-file-system.js';
export { errnoError, fsError, fsErrorCode, isNoSpace } from './fs-error.js';
export type { ErrnoCode, ErrnoError } from './fs-error.js';
