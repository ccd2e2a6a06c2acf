// StoredFile (store) → FileInfo (wire, lock-api.ts). Contents are included
// only when asked for, in the requested encoding.

import type { FileInfo, LockState } from '@kdi/protocol';
import type { Read, StoredFile } from '../store/lock-store.js';
import { encodeContents, type ContentsEncoding } from './contents.js';

export function renderFileInfo(read: Read<StoredFile>, contentsEncoding?: ContentsEncoding): FileInfo {
  const file = read.value;
  const lock: LockState = {
    mode: file.lock?.mode ?? 'none',
    holders: file.lock ? [...file.lock.holders] : [],
    ...(file.lockDelayRemainingMs > 0 && { lockDelayRemainingMs: Math.ceil(file.lockDelayRemainingMs) }),
  };
  const info: FileInfo = {
    path: file.path,
    generation: file.generation,
    ephemeral: file.ephemeralOwner !== undefined,
    size: file.contents.byteLength,
    lock,
    revision: read.revision,
  };
  if (contentsEncoding !== undefined) {
    info.contents = encodeContents(file.contents, contentsEncoding, file.path);
    info.encoding = contentsEncoding;
  }
  return info;
}
