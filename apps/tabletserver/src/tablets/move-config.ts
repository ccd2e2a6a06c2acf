// Where a migration writes the moving tablet's config (DESIGN §7, §10;
// docs/migration.md "Moving META"): the one thing that differs between
// moving a tablet and moving META. The move protocol (migration/, and
// tablet-handover.ts) is the same for both; it asks this strategy how to
// run the two steps that write the config — the source's `state:` flag
// (markMigrating: `migrating`, or serving again, the fence) and the
// target's commit.
//
//  - A tablet's config is a META row. Both steps run in this server's META
//    queue (TabletMeta.run), so the publisher never writes the row between
//    them; the source writes the whole config (its lists with the flag).
//  - META's config is the root (/kdi/root, compare-and-set). While META
//    moves, every META write waits on its freeze — this server's queued
//    ones too — so a step queued behind them would wait for the freeze
//    that waits for it. Both steps run at once instead; the source changes
//    only the root's `state` (the lists are the publisher's, which keeps
//    the state as it finds it), and compare-and-set on the root's
//    generation orders them against every other root write.

import { META_TABLE, type AssignedTablet, type TabletMeta } from './tablet-meta.js';
import type { FragmentLists } from '@kdi/storage';

export interface MoveConfig {
  /** Runs a move step that writes the tablet's config. */
  run<T>(meta: TabletMeta, job: () => Promise<T>): Promise<T>;
  /**
   * Source: writes the tablet's move flag (t.migrating). `lists` gives the
   * tablet's fragment lists (kept for META from the call on) when the
   * config is written whole; resolves with the lists written, if any.
   */
  writeFlag(meta: TabletMeta, t: AssignedTablet, lists: () => Promise<FragmentLists>): Promise<FragmentLists | undefined>;
}

const metaRow: MoveConfig = {
  run: (meta, job) => meta.run(job),
  async writeFlag(meta, t, lists) {
    const written = await lists();
    await meta.writeServing(t, written);
    return written;
  },
};

const root: MoveConfig = {
  run: (_meta, job) => job(),
  async writeFlag(meta, t) {
    await meta.writeRootState(t.epoch, t.migrating === true);
    return undefined;
  },
};

/** The strategy for a tablet of `table`. */
export function moveConfigFor(table: string): MoveConfig {
  return table === META_TABLE ? root : metaRow;
}
