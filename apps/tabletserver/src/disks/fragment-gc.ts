// The tablet server's half of file GC (DESIGN §5 GC, §9): the master
// knows every fragment path a tablet config in META or the root names
// (`keep`); this server knows what its engine uses. A fragment file under
// one of this server's data directories is deleted when
//   - it is a complete fragment file in the engine's layout
//     (tables/<table>/<tablet>/[<group>/]<id>.frag, libs/storage
//     fragment-files.ts) — never the log, the manifest, a temp file or
//     anything else;
//   - no `keep` entry names it (absolute paths, compared normalized);
//   - the engine does not use it: open in a chain, a legacy list or a
//     running scan, being built, or possibly named by META (publication);
//   - it was last modified at least minAgeMs ago (a file just written may
//     not be in META yet).
// With dryRun nothing is deleted; the reply lists what would be.
//
// Promises: only regular files are deleted (symbolic links are neither
// followed nor removed); the engine is asked again right before each
// deletion; a file that vanished meanwhile is not counted; a deletion
// that fails is logged and the file counted as kept. Directories stay
// (the engine may be about to write into one).

import { lstat, unlink } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { KdiError, type GcReply } from '@kdi/protocol';
import { isFragmentFileName, listFragmentFiles, NodeFileSystem } from '@kdi/storage';

export interface FragmentGcRequest {
  readonly keep: readonly string[];
  readonly minAgeMs: number;
  readonly dryRun: boolean;
}

export interface FragmentGcDeps {
  /** The server's data directories, absolute. */
  readonly dataDirs: readonly string[];
  /** The engine's answer: is the file at this absolute path in use? */
  isInUse(path: string): boolean;
  /** Wall-clock milliseconds (file mtimes are wall-clock); default Date.now. */
  readonly now?: () => number;
  readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** The keep list as normalized absolute paths; INVALID_ARGUMENT naming the first entry that is not absolute. */
export function keepSet(keep: readonly string[]): Set<string> {
  const out = new Set<string>();
  keep.forEach((k, i) => {
    if (!isAbsolute(k)) {
      throw new KdiError('INVALID_ARGUMENT', `keep[${i}] ${JSON.stringify(k.slice(0, 200))} must be an absolute path: fragment paths in tablet configs are absolute`, {
        details: { field: `keep[${i}]` },
      });
    }
    out.add(stripSlash(normalize(k)));
  });
  return out;
}

/** Whether one fragment file is garbage: named by no config, unused, and old enough. */
export function isGarbage(file: { path: string; mtimeMs: number }, keep: ReadonlySet<string>, inUse: (path: string) => boolean, nowMs: number, minAgeMs: number): boolean {
  return !keep.has(file.path) && nowMs - file.mtimeMs >= minAgeMs && !inUse(file.path);
}

export async function collectFragmentGarbage(deps: FragmentGcDeps, req: FragmentGcRequest): Promise<GcReply> {
  const keep = keepSet(req.keep);
  const now = (deps.now ?? Date.now)();
  const fs = new NodeFileSystem();
  const deleted: string[] = [];
  let deletedBytes = 0;
  let kept = 0;
  for (const dir of deps.dataDirs) {
    for (const name of await listFragmentFiles(fs, dir)) {
      if (!isFragmentFileName(name)) continue;
      const path = `${dir}/${name}`;
      let st;
      try {
        st = await lstat(path);
      } catch {
        continue; // gone meanwhile
      }
      if (!st.isFile()) continue;
      if (!isGarbage({ path, mtimeMs: st.mtimeMs }, keep, (p) => deps.isInUse(p), now, req.minAgeMs)) {
        kept++;
        continue;
      }
      if (!req.dryRun) {
        // Asked again: a load or a scan may have opened it since the walk began.
        if (deps.isInUse(path)) {
          kept++;
          continue;
        }
        try {
          await unlink(path);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          deps.logger.warn({ err: e, path }, 'GC could not delete a fragment file');
          kept++;
          continue;
        }
      }
      deleted.push(path);
      deletedBytes += st.size;
    }
  }
  deps.logger.info({ deleted: deleted.length, deletedBytes, kept, dryRun: req.dryRun }, req.dryRun ? 'GC dry run' : 'GC deleted fragment files no config names');
  return { deleted, deletedBytes, kept };
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
