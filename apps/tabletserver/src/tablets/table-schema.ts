// The table schema (DESIGN §6) as the tablet server uses it: the wire
// schema for validation, and family → locality group routing for the
// write check. One seam, so the rest of the app does not care where the
// protocol keeps them.

export { columnFamily, groupForFamily, TableSchemaSchema, type TableSchema } from '@kdi/protocol';
