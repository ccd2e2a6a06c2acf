// Directory listings. Directories are implicit (a path with files below
// it); `/v1/dirs` lists the root.

import { DirListingSchema } from '@kdi/protocol';
import { ERROR_RESPONSES, NO_QUERY, WildcardParamsSchema } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';
import { pathFromWildcard } from '../service/paths.js';

export function registerDirRoutes(app: LockApp, service: LockService): void {
  app.get(
    '/v1/dirs',
    {
      schema: {
        operationId: 'listRoot',
        tags: ['files'],
        summary: 'List the root directory',
        querystring: NO_QUERY,
        response: { 200: DirListingSchema, ...ERROR_RESPONSES },
      },
    },
    async () => service.listDir('/'),
  );

  app.get(
    '/v1/dirs/*',
    {
      schema: {
        operationId: 'listDir',
        tags: ['files'],
        summary: 'List the immediate children of a directory',
        description: 'A directory with nothing below it lists no entries.',
        params: WildcardParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DirListingSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.listDir(pathFromWildcard(request.params['*'])),
  );
}
