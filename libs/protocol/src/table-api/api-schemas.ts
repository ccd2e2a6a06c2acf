// The tablet server's named schemas: published under components.schemas
// of its OpenAPI document and referenced by `$ref`, so a generated client
// has one type for each (one ErrorBody rather than a copy per operation).

import { z } from 'zod';
import { JsonCellSchema } from '../cells/json-schema.js';
import { ErrorBodySchema } from '../errors/error-body.js';
import { PredicateFieldSchema, StructuredPredicateSchema } from './predicate-schema.js';
import { MigrationStatusSchema } from './migration-api.js';
import { LocationHintSchema, ScanReplySchema, TabletLocationSchema, TabletViewSchema, JsonCellInputSchema } from './table-api.js';

/** The schemas' names (`id`); the OpenAPI chassis takes the registry. */
export const TABLE_API_SCHEMAS = z.registry<{ id?: string | undefined }>();

TABLE_API_SCHEMAS.add(ErrorBodySchema, { id: 'ErrorBody' });
TABLE_API_SCHEMAS.add(JsonCellSchema, { id: 'Cell' });
TABLE_API_SCHEMAS.add(JsonCellInputSchema, { id: 'CellWrite' });
TABLE_API_SCHEMAS.add(ScanReplySchema, { id: 'ScanPage' });
TABLE_API_SCHEMAS.add(PredicateFieldSchema, { id: 'Predicate' });
TABLE_API_SCHEMAS.add(StructuredPredicateSchema, { id: 'StructuredPredicate' });
TABLE_API_SCHEMAS.add(TabletViewSchema, { id: 'TabletView' });
TABLE_API_SCHEMAS.add(TabletLocationSchema, { id: 'TabletLocation' });
TABLE_API_SCHEMAS.add(LocationHintSchema, { id: 'LocationHint' });
TABLE_API_SCHEMAS.add(MigrationStatusSchema, { id: 'MigrationStatus' });
