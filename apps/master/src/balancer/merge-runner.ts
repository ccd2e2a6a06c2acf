// Carrying out the merge candidates of a balancer run (DESIGN §9: "the
// master merges adjacent small tablets"; docs/api.md, POST
// /v1/admin/tablets/{tabletId}/merge): two tablets at a time, the first two
// of each candidate run.
//
//   - both on one server: that server merges them (its route writes META
//     first, one row transaction; the master's sequencer goes with it);
//   - on two servers: the smaller one is moved to the other's server
//     (a migration with reason `merge`); a later run finds them together
//     and merges them.
//
// Promises: at most `slots` actions per run (a merge or a move each; the
// balancer passes what its concurrency bound leaves); nothing is done for
// a candidate with a tablet that is moving, on a draining server or not
// serving — its `error` says why; every merge is an event
// (tablets-merged) and kicks the assigner.

import type { PlannedMergeView } from '@kdi/protocol';
import type { MigrationService } from '../migration/migration-service.js';
import type { MasterContext } from '../node/master-context.js';
import type { ServerTablets } from '../servers/server-registry.js';

export async function runMerges(
  ctx: MasterContext,
  migrations: MigrationService,
  candidates: readonly PlannedMergeView[],
  live: readonly ServerTablets[],
  decisionId: string,
  slots: number,
): Promise<PlannedMergeView[]> {
  const where = new Map<string, { server: ServerTablets; bytes: number; state: string }>();
  for (const s of live) for (const t of s.tablets) where.set(t.tabletId, { server: s, bytes: t.diskBytes, state: t.state });
  const out: PlannedMergeView[] = [];
  let left = slots;
  for (const c of candidates) {
    if (left <= 0) {
      out.push({ ...c, error: 'not this run: the concurrency bound is used up' });
      continue;
    }
    const [lowId, highId] = c.tabletIds as [string, string];
    const low = where.get(lowId);
    const high = where.get(highId);
    const busy = [lowId, highId].find((id) => migrations.book.runningFor((r) => r.tabletId === id) !== undefined);
    const problem =
      low === undefined || high === undefined
        ? 'a tablet is no longer reported by a live server'
        : busy !== undefined
          ? `${busy} is moving`
          : low.state !== 'serving' || high.state !== 'serving'
            ? 'a tablet is not serving'
            : ctx.drains.has(low.server.serverId) || ctx.drains.has(high.server.serverId)
              ? 'a tablet is on a draining server'
              : undefined;
    if (problem !== undefined) {
      out.push({ ...c, error: problem });
      continue;
    }
    left--;
    if (low!.server.serverId === high!.server.serverId) {
      const answer = await ctx.admin.merge(low!.server.url, lowId, { with: highId });
      if (answer.status !== 200) {
        out.push({ ...c, error: `${low!.server.serverId} did not merge them: ${answer.message}` });
        continue;
      }
      const merged = (answer.body as { merged?: { tabletId?: string } }).merged?.tabletId ?? '?';
      ctx.events.add({
        kind: 'tablets-merged',
        message: `tablets ${lowId} and ${highId} of ${c.table} merged into ${merged} on ${low!.server.serverId} (${decisionId})`,
        table: c.table,
        tabletId: merged,
        serverId: low!.server.serverId,
      });
      ctx.kick();
      out.push({ ...c, merged });
      continue;
    }
    // Bring them together: the smaller moves.
    const [mover, stay] = low!.bytes <= high!.bytes ? [lowId, high!] : [highId, low!];
    try {
      const m = await migrations.move({ tabletId: mover, target: stay.server.serverId, reason: 'merge', decisionId });
      out.push({ ...c, migrationId: m.migrationId });
    } catch (e) {
      out.push({ ...c, error: `moving ${mover} to ${stay.server.serverId} first failed: ${(e as Error).message}` });
    }
  }
  return out;
}
