// Where the master reads a moving tablet's config (docs/migration.md
// "Moving META"): its META row, or — for META itself, whose config is the
// root — /kdi/root. The move is otherwise the same for both: the master
// finds the source and epoch here before asking for the move, and reads
// the outcome here when the source cannot tell it.

import { readRoot } from '@kdi/client-sdk';
import { META_TABLE, type TabletConfig } from '@kdi/protocol';
import type { MasterContext } from '../node/master-context.js';

/** The config of the tablet of `table` ending at `upper` (undefined: none). */
export async function readMovingConfig(ctx: MasterContext, table: string, upper: Uint8Array | undefined): Promise<TabletConfig | undefined> {
  if (table !== META_TABLE) return (await ctx.meta.readTablet(table, upper)).config;
  const root = (await readRoot(ctx.lock))?.config;
  if (root === undefined) return undefined;
  return {
    table: META_TABLE,
    lowerExclusive: undefined,
    upperInclusive: undefined,
    location: root.location,
    logs: root.logs,
    fragments: root.fragments,
    state: root.state ?? (root.location === undefined ? undefined : 'serving'),
  };
}
