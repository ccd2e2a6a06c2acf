// File contents travel as JSON strings: UTF-8 text as is, bytes as base64
// (lock-api.ts `encoding`). Callers pass a string or bytes and get back
// whichever they ask for.

import { KdiError, type FileInfo } from '@kdi/protocol';

export type Contents = string | Uint8Array;

export function encodeContents(contents: Contents): { contents: string; encoding: 'utf8' | 'base64' } {
  if (typeof contents === 'string') return { contents, encoding: 'utf8' };
  return { contents: Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength).toString('base64'), encoding: 'base64' };
}

/** The bytes of a file read with getFile (either encoding). */
export function contentsBytes(file: FileInfo): Uint8Array {
  if (file.contents === undefined) {
    throw new KdiError('INVALID_ARGUMENT', `the FileInfo of ${file.path} carries no contents; read it with getFile, not stat`);
  }
  return file.encoding === 'base64' ? new Uint8Array(Buffer.from(file.contents, 'base64')) : new TextEncoder().encode(file.contents);
}

/** The contents of a file read with getFile, as text. */
export function contentsText(file: FileInfo): string {
  const bytes = contentsBytes(file);
  return file.encoding === 'base64' ? Buffer.from(bytes).toString('utf8') : (file.contents as string);
}
