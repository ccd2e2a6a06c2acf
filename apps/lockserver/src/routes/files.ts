// Files: create, read, stat, set contents (compare-and-set), delete.
// `/v1/files/{path…}` names the lock file `/{path…}`.

import { ContentsEncodingSchema, CreateFileRequestSchema, FileInfoSchema, SessionIdSchema, SetContentsRequestSchema } from '@kdi/protocol';
import { z } from 'zod';
import { ERROR_RESPONSES, NO_CONTENT, NO_QUERY, QueryIntSchema, WildcardParamsSchema } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';
import { pathFromWildcard } from '../service/paths.js';

const GetFileQuerySchema = z.strictObject({ encoding: ContentsEncodingSchema });
const DeleteFileQuerySchema = z.strictObject({
  ifGeneration: QueryIntSchema.optional().describe('Delete only if the file is still at this generation (else ABORTED)'),
  sessionId: SessionIdSchema.optional().describe("The caller's session: its own lock on the file does not prevent the delete"),
});

export function registerFileRoutes(app: LockApp, service: LockService): void {
  app.post(
    '/v1/files/*',
    {
      schema: {
        operationId: 'createFile',
        tags: ['files'],
        summary: 'Create a file',
        description: 'ALREADY_EXISTS when it exists. An ephemeral file needs sessionId and vanishes with that session.',
        params: WildcardParamsSchema,
        body: CreateFileRequestSchema,
        querystring: NO_QUERY,
        response: { 201: FileInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const info = await service.createFile(pathFromWildcard(request.params['*']), request.body);
      return reply.code(201).send(info);
    },
  );

  app.put(
    '/v1/files/*',
    {
      schema: {
        operationId: 'setContents',
        tags: ['files'],
        summary: 'Set the contents of a file',
        description: 'NOT_FOUND when it does not exist; ABORTED when ifGeneration is given and the file has moved on.',
        params: WildcardParamsSchema,
        body: SetContentsRequestSchema,
        querystring: NO_QUERY,
        response: { 200: FileInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.setContents(pathFromWildcard(request.params['*']), request.body),
  );

  app.get(
    '/v1/files/*',
    {
      schema: {
        operationId: 'getFile',
        tags: ['files'],
        summary: 'Read a file with its contents',
        description: 'encoding=utf8 (default) fails with INVALID_ARGUMENT when the contents are not valid UTF-8; ask for base64.',
        params: WildcardParamsSchema,
        querystring: GetFileQuerySchema,
        response: { 200: FileInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.getFile(pathFromWildcard(request.params['*']), request.query.encoding),
  );

  app.get(
    '/v1/stat/*',
    {
      schema: {
        operationId: 'statFile',
        tags: ['files'],
        summary: 'Read a file without its contents',
        params: WildcardParamsSchema,
        querystring: NO_QUERY,
        response: { 200: FileInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.stat(pathFromWildcard(request.params['*'])),
  );

  app.delete(
    '/v1/files/*',
    {
      schema: {
        operationId: 'deleteFile',
        tags: ['files'],
        summary: 'Delete a file',
        description: "FAILED_PRECONDITION when another session holds its lock; the caller's own lock is released with it.",
        params: WildcardParamsSchema,
        querystring: DeleteFileQuerySchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await service.deleteFile(pathFromWildcard(request.params['*']), request.query);
      return reply.code(204).send(null);
    },
  );
}
