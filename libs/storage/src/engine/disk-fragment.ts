// A disk fragment as the engine tracks it: the open reader, and a count of
// the holders (tablet chains and running scans). A fragment leaves the
// disk only when no chain lists it and no scan holds it (DESIGN §5: scans
// holding old fragments keep them alive until done).

import type { FragmentReader } from '../fragment/fragment-reader.js';

export class DiskFragment {
  private refs = 0;

  constructor(
    /** Canonical reference: relative to the engine directory, or absolute for a file outside it (fragment-files.ts). */
    readonly name: string,
    /** Absolute path of the file. */
    readonly path: string,
    readonly reader: FragmentReader,
    readonly fileBytes: number,
    private readonly onUnreferenced: (f: DiskFragment) => void,
    /** Opened with its blocks preloaded at in-memory cache priority (its group was inMemory). */
    readonly inMemory = false,
  ) {}

  ref(): this {
    this.refs++;
    return this;
  }

  unref(): void {
    if (--this.refs === 0) this.onUnreferenced(this);
  }

  get referenced(): boolean {
    return this.refs > 0;
  }
}
