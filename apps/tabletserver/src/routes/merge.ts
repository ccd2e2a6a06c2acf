// POST /v1/admin/tablets/:tabletId/merge — the master merges two adjacent
// small tablets of a table once both are on this server (DESIGN §9;
// tablets/tablet-merge.ts). Cluster secret and, in a cluster, the current
// master's sequencer, like load, unload and split.

import { ERROR_RESPONSES, MergeBodySchema, MergeReplySchema, NO_QUERY, TabletParamsSchema } from '@kdi/protocol';
import { boundsOf, replyEncoding, tabletJson } from '../api/tablet-json.js';
import { masterSequencerCheck } from '../http/master-sequencer.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerMergeRoute(app: TabletApp, { server, masterSequencers }: RouteDeps): void {
  const fromMaster = masterSequencerCheck(masterSequencers);
  app.post(
    '/v1/admin/tablets/:tabletId/merge',
    {
      schema: {
        operationId: 'mergeTablet',
        tags: ['admin'],
        summary: 'Merge a tablet with an adjacent one',
        description:
          'Merges this tablet with the tablet named by with — same table, on this server, serving, and adjacent (one ends exactly where the ' +
          'other begins) — into one tablet covering both ranges, with the id mergedTabletId (absent: a new random id). A tablet still holding ' +
          'fragments shared with its split sibling is compacted first, so erased cells never come back. In a cluster the merge is written to ' +
          "META first, as one row transaction that erases the lower tablet's row and widens the upper one's (which keeps its assignment epoch), " +
          "each checked to name this server with its epoch; the current master's sequencer is required in x-kdi-sequencer. NOT_FOUND when " +
          'either tablet is not here; INVALID_ARGUMENT for the same tablet twice or tablets of different tables; FAILED_PRECONDITION when they ' +
          'are not adjacent, either is not serving, or for META; ALREADY_EXISTS when mergedTabletId is taken.',
        params: TabletParamsSchema,
        querystring: NO_QUERY,
        body: MergeBodySchema,
        response: { 200: MergeReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: async (request) => fromMaster(request),
    },
    async (request) => {
      const b = request.body;
      const result = await server.mergeTablets(request.params.tabletId, b.with, b.mergedTabletId);
      return { low: result.low, high: result.high, merged: tabletJson(result.merged, replyEncoding('utf8', boundsOf([result.merged]))) };
    },
  );
}
