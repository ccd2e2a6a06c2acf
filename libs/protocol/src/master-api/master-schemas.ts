// The master's named schemas: published under components.schemas of its
// OpenAPI document (with the Table API's, for the gateway) and referenced
// by `$ref`.

import { z } from 'zod';
import { BalancerDecisionSchema } from './balancer.js';
import { DiskBalanceDecisionSchema, DiskCapacitySchema, DiskMigrationStatusSchema, PlannedDiskMoveSchema } from './disks.js';
import { MasterMigrationSchema } from './migrations.js';
import { ClusterEventSchema, DiskStatusSchema, MasterServerSchema, MasterTabletSchema, TableDescriptionSchema, TableSummarySchema } from './master-api.js';

export const MASTER_API_SCHEMAS = z.registry<{ id?: string | undefined }>();

MASTER_API_SCHEMAS.add(MasterTabletSchema, { id: 'MasterTablet' });
MASTER_API_SCHEMAS.add(TableSummarySchema, { id: 'TableSummary' });
MASTER_API_SCHEMAS.add(TableDescriptionSchema, { id: 'TableDescription' });
MASTER_API_SCHEMAS.add(MasterServerSchema, { id: 'MasterServer' });
MASTER_API_SCHEMAS.add(DiskStatusSchema, { id: 'DiskStatus' });
MASTER_API_SCHEMAS.add(ClusterEventSchema, { id: 'ClusterEvent' });
MASTER_API_SCHEMAS.add(MasterMigrationSchema, { id: 'MasterMigration' });
MASTER_API_SCHEMAS.add(BalancerDecisionSchema, { id: 'BalancerDecision' });
MASTER_API_SCHEMAS.add(DiskCapacitySchema, { id: 'DiskCapacity' });
MASTER_API_SCHEMAS.add(DiskMigrationStatusSchema, { id: 'DiskMigrationStatus' });
MASTER_API_SCHEMAS.add(PlannedDiskMoveSchema, { id: 'PlannedDiskMove' });
MASTER_API_SCHEMAS.add(DiskBalanceDecisionSchema, { id: 'DiskBalanceDecision' });
