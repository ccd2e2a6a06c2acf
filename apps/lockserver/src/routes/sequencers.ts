// Sequencer validation: receivers of privileged calls ask whether a
// sequencer's grant still holds, and refuse stale ones.

import { ValidateRequestSchema, ValidateResultSchema } from '@kdi/protocol';
import { ERROR_RESPONSES, NO_QUERY } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';

export function registerSequencerRoutes(app: LockApp, service: LockService): void {
  app.post(
    '/v1/sequencers/validate',
    {
      schema: {
        operationId: 'validateSequencer',
        tags: ['locks'],
        summary: 'Check that a sequencer still names the current grant',
        body: ValidateRequestSchema,
        querystring: NO_QUERY,
        response: { 200: ValidateResultSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.validateSequencer(request.body.sequencer),
  );
}
