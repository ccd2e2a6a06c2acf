// The master's wire contract (DESIGN §9). Routes (master):
//
//   GET    /v1/master                       MasterStatusReply (active or standby)
//   GET    /v1/tables                       ListTablesReply
//   POST   /v1/tables                       CreateTableBody → 201 TableDescription
//   GET    /v1/tables/{table}               TableDescription (?encoding)
//   DELETE /v1/tables/{table}               DropTableReply
//   PUT    /v1/tables/{table}/schema        TableSchema → SetSchemaReply
//   GET    /v1/tables/{table}/tablets       TableTabletsReply (?encoding)
//   GET    /v1/servers                      ListServersReply
//   GET    /v1/events                       EventsReply (?limit, ?after)
//   GET    /v1/meta/location                MetaLocationReply (how connect({ master }) bootstraps)
//   POST   /v1/tables/{table}/apply|sync|scan|stat   the gateway: the Table API's shapes
//   POST   /v1/tablets/{tabletId}/move      MoveTabletBody → 202 MoveTabletReply (admin token)
//   GET    /v1/migrations                   ListMigrationsReply
//   GET    /v1/migrations/{migrationId}     MasterMigration
//   POST   /v1/balancer/run                 BalancerRunBody → BalancerRunReply (admin token unless dryRun)
//   GET    /v1/balancer/decisions           BalancerDecisionsReply (?limit)
//   POST   /v1/servers/{serverId}/drain     DrainReply (admin token)
//   DELETE /v1/servers/{serverId}/drain     DrainReply (admin token)
//   POST   /v1/cluster/heartbeat            HeartbeatBody → HeartbeatReply (cluster secret)
//   GET    /v1/servers/{serverId}/disks                  DiskCapacityReply (?disk)   (proxied to the server, disks.ts)
//   GET    /v1/servers/{serverId}/disks/tablets          DiskReplicaReply (?disk)
//   GET    /v1/servers/{serverId}/disk-migrations        DiskMigrationListReply
//   POST   /v1/servers/{serverId}/disk-migrations        DiskMigrationBody → 202 DiskMigrationStatus (admin token)
//   GET    /v1/servers/{serverId}/disk-migrations/{tablet}  DiskMigrationStatus
//   POST   /v1/servers/{serverId}/disk-balance           DiskBalanceBody → DiskBalanceReply (admin token unless dryRun)
//   GET    /v1/disk-balance/decisions                    DiskBalanceDecisionsReply (the automatic mode)
//
// Tablet-server routes the master calls (cluster secret; the master's
// sequencer in x-kdi-sequencer): /v1/admin/tablets (load, unload, split),
// POST /v1/admin/tables/{table}/schema (reload the schema from META),
// POST /v1/admin/gc (delete fragment files no config names),
// POST /v1/admin/tablets/{tabletId}/migrate and GET /v1/admin/migrations
// (docs/migration.md); the disk routes under /v1/admin/disks,
// /v1/admin/disk-migrations and /v1/admin/disk-balance (docs/disks.md).

export * from './master-api.js';
export * from './gc.js';
export * from './migrations.js';
export * from './balancer.js';
export * from './disks.js';
export * from './master-schemas.js';
