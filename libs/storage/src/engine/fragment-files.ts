// Where disk fragments live, built and walked in one place (LevelDB's
// filename.h). Paths are relative to the engine directory:
//
//   tables/<table>/<tablet>/<group>/<8-digit id>.frag     one file per (tablet, locality group) build
//   tables/<table>/<tablet>/<8-digit id>.frag             version-1 layout (before locality groups), still read
//   ….frag.tmp                                            a build in progress; renamed into place when complete
//
// Table, tablet and group names are checked ([A-Za-z0-9._-], never '.' or
// '..') before they reach a path (DESIGN §14): by the callers' schemas, and
// again here as the last line (`checkPathSegment`), so not even an internal
// caller can build a path outside the engine directory. After a split, both halves keep naming
// the parent's files until compaction rewrites them.
//
// A fragment reference (in the manifest, in a chain, in a loaded tablet
// config) is either relative to the engine directory or an absolute path
// to a file elsewhere — another server's disk on the same host or a shared
// mount, named by a tablet config in META (DESIGN §7). Each file has one
// canonical reference: relative when it lies inside the engine directory,
// else its normalized absolute path.

import { posix } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';

/** The engine directory as an absolute, normalized path (relative ones resolve against the process's working directory). */
export function absoluteDir(dir: string): string {
  const abs = posix.isAbsolute(dir) ? posix.normalize(dir) : posix.resolve(dir);
  return abs.length > 1 && abs.endsWith('/') ? abs.slice(0, -1) : abs;
}

/**
 * The canonical reference for a fragment named `name` (relative to `dir`, or
 * absolute). 'invalid-argument' for an empty name or a relative one that
 * leaves `dir` (give such files by absolute path).
 */
export function canonicalFragmentName(dir: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument(`fragment reference ${JSON.stringify(name)} must be a non-empty path`);
  if (posix.isAbsolute(name)) {
    const abs = posix.normalize(name);
    return abs.startsWith(`${dir}/`) ? abs.slice(dir.length + 1) : abs;
  }
  const rel = posix.normalize(name);
  if (rel === '.' || rel === '..' || rel.startsWith('../') || rel.endsWith('/')) {
    throw invalidArgument(`fragment reference ${JSON.stringify(name)} does not name a file inside the engine directory; give it as an absolute path`);
  }
  return rel;
}

/**
 * The suffix of a tablet directory a disk migration copies into
 * (`tables/<table>/<tablet>.migrate.tmp/<group>/<id>.frag`, disk-migration.ts):
 * nothing names files there until they are renamed into place, and an open
 * after a crash removes what is left.
 */
export const MIGRATE_TMP_SUFFIX = '.migrate.tmp';

/** True when a canonical reference names a file outside the engine directory. */
export function isForeignFragment(name: string): boolean {
  return name.startsWith('/');
}

/** The absolute path of a canonical reference. */
export function fragmentPath(dir: string, name: string): string {
  return isForeignFragment(name) ? name : `${dir}/${name}`;
}

/** A table name, tablet id or group name as one path segment: [A-Za-z0-9._-]{1,128} and never '.' or '..'. */
const PATH_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/;

/** 'invalid-argument' unless `name` is one plain path segment (it is about to become a directory name). */
export function checkPathSegment(what: string, name: string): void {
  if (typeof name !== 'string' || !PATH_SEGMENT.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 200)) : String(name);
    throw invalidArgument(`${what} ${shown} must be 1-128 characters of [A-Za-z0-9._-] and not '.' or '..' (it names a directory on disk)`);
  }
}

export function fragmentName(table: string, tablet: string, group: string, id: number): string {
  checkPathSegment('table name', table);
  checkPathSegment('tablet id', tablet);
  checkPathSegment('group name', group);
  return `tables/${table}/${tablet}/${group}/${String(id).padStart(8, '0')}.frag`;
}

/** Every file (fragments and temp files) under tables/, as names relative to `dir`, in both layouts. */
export async function listFragmentFiles(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = [];
  const tablesDir = `${dir}/tables`;
  if (!(await fs.exists(tablesDir))) return out;
  for (const table of await fs.list(tablesDir)) {
    for (const tablet of await fs.list(`${tablesDir}/${table}`)) {
      const tabletDir = `tables/${table}/${tablet}`;
      for (const entry of await fs.list(`${dir}/${tabletDir}`)) {
        const name = `${tabletDir}/${entry}`;
        if ((await fs.stat(`${dir}/${name}`)).isDirectory) {
          for (const file of await fs.list(`${dir}/${name}`)) out.push(`${name}/${file}`);
        } else {
          out.push(name);
        }
      }
    }
  }
  return out;
}

/** A fragment file's name relative to an engine directory, in either layout (temp files excluded). */
const FRAGMENT_FILE = /^tables\/(?!\.{1,2}\/)[A-Za-z0-9._-]{1,128}\/(?!\.{1,2}\/)[A-Za-z0-9._-]{1,128}\/(?:(?!\.{1,2}\/)[A-Za-z0-9._-]{1,128}\/)?[0-9]{8,}\.frag$/;

/** True when `name` (relative to an engine directory) is a complete fragment file — never a temp file, the log or the manifest. */
export function isFragmentFileName(name: string): boolean {
  return FRAGMENT_FILE.test(name);
}
