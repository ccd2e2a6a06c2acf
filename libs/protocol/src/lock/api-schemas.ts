// The lock server's named schemas: published under components.schemas of
// its OpenAPI document and referenced by `$ref`, so a generated client has
// one type for each (one ErrorBody rather than a copy per operation).

import { z } from 'zod';
import { ErrorBodySchema } from '../errors/error-body.js';
import { AcquireResultSchema, DirEntrySchema, FileInfoSchema, LockStateSchema, SequencerSchema, SessionInfoSchema, WatchEventSchema } from './lock-api.js';

/** The schemas' names (`id`); the OpenAPI chassis takes the registry. */
export const LOCK_API_SCHEMAS = z.registry<{ id?: string | undefined }>();

LOCK_API_SCHEMAS.add(ErrorBodySchema, { id: 'ErrorBody' });
LOCK_API_SCHEMAS.add(SessionInfoSchema, { id: 'SessionInfo' });
LOCK_API_SCHEMAS.add(FileInfoSchema, { id: 'FileInfo' });
LOCK_API_SCHEMAS.add(LockStateSchema, { id: 'LockState' });
LOCK_API_SCHEMAS.add(DirEntrySchema, { id: 'DirEntry' });
LOCK_API_SCHEMAS.add(SequencerSchema, { id: 'Sequencer' });
LOCK_API_SCHEMAS.add(WatchEventSchema, { id: 'WatchEvent' });
LOCK_API_SCHEMAS.add(AcquireResultSchema, { id: 'AcquireResult' });
