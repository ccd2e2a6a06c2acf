// POST /v1/admin/gc — the master's file GC on this server (disks/
// fragment-gc.ts): delete the fragment files under this server's data
// directories that no tablet config names and the engine does not use,
// once older than the grace period. Cluster secret; in a cluster the
// current master's sequencer too (a deposed master's keep list may be
// stale).

import { ERROR_RESPONSES, GcBodySchema, GcReplySchema, NO_QUERY } from '@kdi/protocol';
import { collectFragmentGarbage } from '../disks/fragment-gc.js';
import { masterSequencerCheck } from '../http/master-sequencer.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerGcRoute(app: TabletApp, { server, disks, masterSequencers }: RouteDeps): void {
  const fromMaster = masterSequencerCheck(masterSequencers);
  app.post(
    '/v1/admin/gc',
    {
      schema: {
        operationId: 'collectGarbage',
        tags: ['admin'],
        summary: 'Delete fragment files no tablet config names',
        description:
          "Deletes the fragment files (tables/<table>/<tablet>/[<group>/]<id>.frag) under this server's data directories that are named in " +
          "neither keep (absolute paths) nor used by this server's engine (open, being written, or possibly named by META), and were last " +
          'modified at least minAgeMs ago. The log, the manifest, temp files and anything else are never touched. dryRun lists only. ' +
          "In a cluster the current master's sequencer is required in x-kdi-sequencer.",
        querystring: NO_QUERY,
        body: GcBodySchema,
        response: { 200: GcReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: async (request) => fromMaster(request),
    },
    async (request) => {
      server.checkOpen();
      const b = request.body;
      return collectFragmentGarbage(
        { dataDirs: disks.dirs, isInUse: (path) => server.engine.isFragmentInUse(path), logger: request.log },
        { keep: b.keep, minAgeMs: b.minAgeMs, dryRun: b.dryRun ?? false },
      );
    },
  );
}
