// The root (DESIGN §7): META's own tablet config, kept in the lock-service
// file /kdi/root and changed only with compare-and-set on the file's
// generation, so two servers (or a server and the master) can never both
// believe they wrote the current root.
//
// `state: "migrating"` is set by the server serving META while it moves
// META to another server (docs/migration.md "Moving META"): the target's
// commit rewrites the root only while it still names the source with its
// epoch and says `migrating`, and the source writing the state back
// (absent: serving) fences a commit that has not landed. Writers that are
// not part of a move keep whatever state the root has.

import { isKdiError, parseLogRef, type LogRef, type TabletLocation } from '@kdi/protocol';
import type { LockClient } from '../lock/lock-client.js';

export const ROOT_PATH = '/kdi/root';

export interface RootConfig {
  readonly location: TabletLocation | undefined;
  /** Log directories that may hold META data not yet in a fragment. */
  readonly logs: readonly LogRef[];
  /** META's fragment paths per locality group, oldest first. */
  readonly fragments: Readonly<Record<string, readonly string[]>>;
  /** 'migrating' while META is being moved (absent: serving, or not assigned). */
  readonly state?: 'migrating' | undefined;
}

export interface RootRead {
  readonly config: RootConfig;
  /** Pass as ifGeneration to write it back. */
  readonly generation: number;
}

export const EMPTY_ROOT: RootConfig = { location: undefined, logs: [], fragments: {} };

/** The root, or undefined when the cluster has none yet. Malformed contents are an error naming the file. */
export async function readRoot(client: LockClient): Promise<RootRead | undefined> {
  let file;
  try {
    file = await client.getFile(ROOT_PATH);
  } catch (e) {
    if (isKdiError(e) && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
  return { config: parseRoot(file.contents ?? ''), generation: file.generation };
}

export function parseRoot(text: string): RootConfig {
  const bad = (why: string) => new Error(`${ROOT_PATH} is malformed: ${why}`);
  if (text === '') return EMPTY_ROOT;
  let v: Partial<{ location: TabletLocation | null; logs: unknown; fragments: unknown; state: unknown }>;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const loc = v.location ?? undefined;
  if (loc !== undefined && (typeof loc.serverId !== 'string' || typeof loc.url !== 'string' || !Number.isSafeInteger(loc.epoch))) {
    throw bad('location must be {serverId, url, epoch}');
  }
  const raw = v.logs ?? [];
  const logs = Array.isArray(raw) ? raw.map(parseLogRef) : [undefined];
  if (logs.some((l) => l === undefined)) throw bad('logs must be a list of {dir, fromSegment} (or directories)');
  const fragments = v.fragments ?? {};
  if (typeof fragments !== 'object' || fragments === null || Array.isArray(fragments)) throw bad('fragments must map groups to lists');
  for (const [g, list] of Object.entries(fragments)) {
    if (!Array.isArray(list) || !list.every((f) => typeof f === 'string')) throw bad(`fragments.${g} must be a list of paths`);
  }
  if (v.state !== undefined && v.state !== null && v.state !== 'migrating') throw bad('state must be "migrating" or absent');
  return { location: loc, logs: logs as LogRef[], fragments: fragments as Record<string, string[]>, ...(v.state === 'migrating' && { state: 'migrating' as const }) };
}

/**
 * Writes the root if it is still at `ifGeneration` (undefined: create it;
 * it must not exist). Returns the new generation; ABORTED / ALREADY_EXISTS
 * when somebody else got there first — read again and decide.
 */
export async function writeRoot(client: LockClient, config: RootConfig, ifGeneration: number | undefined): Promise<number> {
  const contents = JSON.stringify({
    location: config.location ?? null,
    logs: config.logs,
    fragments: config.fragments,
    ...(config.state !== undefined && { state: config.state }),
  });
  if (ifGeneration === undefined) return (await client.createFile(ROOT_PATH, { contents })).generation;
  return (await client.setContents(ROOT_PATH, contents, { ifGeneration })).generation;
}
