// Where disk fragments live, built and walked in one place (LevelDB's
// filename.h). Paths are relative to the engine directory:
//
//   tables/<table>/<tablet>/<group>/<8-digit id>.frag     one file per (tablet, locality group) build
//   tables/<table>/<tablet>/<8-digit id>.frag             version-1 layout (before locality groups), still read
//   ….frag.tmp                                            a build in progress; renamed into place when complete
//
// Table, tablet and group names are checked ([A-Za-z0-9._-], never '.' or
// '..') before they reach a path. After a split, both halves keep naming
// the parent's files until compaction rewrites them.

import type { FileSystem } from '../fs/file-system.js';

export function fragmentName(table: string, tablet: string, group: string, id: number): string {
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
