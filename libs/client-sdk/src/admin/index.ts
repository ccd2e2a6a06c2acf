// The master's API client (DESIGN §9, §12), reached as `kdi.admin`.

export {
  AdminClient,
  type BalancerRunOptions,
  type DecisionsOptions,
  type DiskBalanceOptions,
  type DiskOptions,
  type MoveTabletOptions,
  type CreateTableOptions,
  type DropTableResult,
  type EventsOptions,
  type SetSchemaResult,
  type TabletsOptions,
  type TabletsResult,
} from './admin-client.js';
export { encodeSplitRows, type EncodedSplits } from './split-rows.js';
