// The embedded store's state file, `<dataDir>/lock-state.json`: the
// non-ephemeral files and the revision counter. Sessions, locks and
// ephemeral files are not persisted — a restart loses them, which is why the
// store then starts in safe mode.
//
// Layout (UTF-8 JSON, one object):
//   { "format": "kdi-lock-state", "version": 1,
//     "sha256": <hex SHA-256 of JSON.stringify(state)>,
//     "state": { "revision": <a ceiling: no revision above it was handed out>,
//                "files": [ { "path", "generation", "contents": <base64> }, … ],
//                "stoppedIdle": true   (only when written by a close that left
//                                       no session and no lock-delay behind) } }
// The checksum catches a torn or bit-flipped file that still parses.
//
// Writes are atomic: the whole file goes to `lock-state.json.tmp`, is
// fsynced, renamed over `lock-state.json`, and the directory is fsynced.
// A crash at any point leaves either the old or the new file complete; a
// left-over temp file is an unfinished write and is removed at open.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { KdiError, lockPathProblem } from '@kdi/protocol';
import { z } from 'zod';
import type { StateFileSystem } from './state-file-system.js';

export const STATE_FILE_NAME = 'lock-state.json';
export const STATE_TEMP_FILE_NAME = 'lock-state.json.tmp';
const FORMAT = 'kdi-lock-state';
const VERSION = 1;

export interface PersistedFile {
  readonly path: string;
  readonly generation: number;
  readonly contents: Uint8Array;
}

export interface PersistedState {
  readonly revision: number;
  readonly files: readonly PersistedFile[];
  /**
   * Written by a close with no live session and no lock in its lock-delay:
   * nobody can believe they hold a lock of this store, so the next open
   * needs no safe mode. Every open rewrites the file without it.
   */
  readonly stoppedIdle?: boolean;
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'contents must be base64');
const StateSchema = z.strictObject({
  revision: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  files: z.array(
    z.strictObject({
      path: z.string().refine((p) => lockPathProblem(p) === undefined, 'not a valid lock path'),
      generation: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      contents: Base64,
    }),
  ),
  stoppedIdle: z.literal(true).optional(),
});
const EnvelopeSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  state: z.unknown(),
});

/** Raised when a write did not complete; `replaced` tells whether the new file took the old one's place. */
export class StateWriteError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly replaced: boolean,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'StateWriteError';
  }
}

export function encodeState(state: PersistedState): Uint8Array {
  const body = {
    revision: state.revision,
    files: state.files.map((f) => ({ path: f.path, generation: f.generation, contents: Buffer.from(f.contents).toString('base64') })),
    ...(state.stoppedIdle === true && { stoppedIdle: true as const }),
  };
  const json = JSON.stringify(body);
  const sha256 = createHash('sha256').update(json).digest('hex');
  return Buffer.from(`${JSON.stringify({ format: FORMAT, version: VERSION, sha256, state: body })}\n`, 'utf8');
}

/** Parses a state file; throws DATA_CORRUPTION naming `file` when it is not a valid one. */
export function decodeState(data: Uint8Array, file: string): PersistedState {
  const corrupt = (why: string, cause?: unknown): KdiError =>
    new KdiError('DATA_CORRUPTION', `the lock state file ${file} is corrupt (${why}); restore it from a backup, or move it away to start with no lock files`, {
      details: { file },
      cause,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (e) {
    throw corrupt('not JSON', e);
  }
  const envelope = EnvelopeSchema.safeParse(parsed);
  if (!envelope.success) throw corrupt(`not a ${FORMAT} v${VERSION} file: ${envelope.error.issues[0]?.message ?? 'bad envelope'}`);
  const state = StateSchema.safeParse(envelope.data.state);
  if (!state.success) {
    const issue = state.error.issues[0];
    throw corrupt(`bad state at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  if (createHash('sha256').update(JSON.stringify(state.data)).digest('hex') !== envelope.data.sha256) throw corrupt('checksum mismatch');
  const paths = new Set<string>();
  const files = state.data.files.map((f) => {
    if (paths.has(f.path)) throw corrupt(`file ${f.path} appears twice`);
    paths.add(f.path);
    if (f.generation > state.data.revision) throw corrupt(`file ${f.path} has generation ${f.generation} above the revision ${state.data.revision}`);
    return { path: f.path, generation: f.generation, contents: new Uint8Array(Buffer.from(f.contents, 'base64')) };
  });
  return { revision: state.data.revision, files, ...(state.data.stoppedIdle === true && { stoppedIdle: true }) };
}

/** Reads `<dataDir>/lock-state.json`: undefined when there is none (a new data directory). */
export function readStateFile(fs: StateFileSystem, dataDir: string): PersistedState | undefined {
  const file = join(dataDir, STATE_FILE_NAME);
  const data = fs.readFile(file);
  return data === undefined ? undefined : decodeState(data, file);
}

/** Removes a temp file left by a write that a crash interrupted. */
export function removeUnfinishedWrite(fs: StateFileSystem, dataDir: string): void {
  fs.removeIfExists(join(dataDir, STATE_TEMP_FILE_NAME));
}

/** Durably replaces the state file (temp, fsync, rename, directory fsync). */
export function writeStateFile(fs: StateFileSystem, dataDir: string, state: PersistedState): void {
  const file = join(dataDir, STATE_FILE_NAME);
  const temp = join(dataDir, STATE_TEMP_FILE_NAME);
  const data = encodeState(state);
  try {
    fs.writeFileDurably(temp, data);
    fs.rename(temp, file);
  } catch (e) {
    try {
      fs.removeIfExists(temp);
    } catch {
      // The temp file is removed at the next open anyway.
    }
    throw new StateWriteError(`could not write ${file}: ${(e as Error).message}`, file, false, { cause: e });
  }
  try {
    fs.syncDirectory(dataDir);
  } catch (e) {
    throw new StateWriteError(`wrote ${file} but could not fsync ${dataDir}: ${(e as Error).message}`, file, true, { cause: e });
  }
}
