// Table schemas and locality groups (DESIGN §6): the wire/META shape, its
// validation, family → group routing, and the META cell form.

export { familyNameProblem, groupNameProblem, GROUP_NAME_PATTERN, MAX_FAMILY_BYTES, NAME_PATTERN, NAME_RULE, nameProblem } from './names.js';
export {
  DEFAULT_BLOCK_SIZE,
  DEFAULT_TABLE_SCHEMA,
  FamilyNameSchema,
  GroupNameSchema,
  LocalityGroupSchema,
  MAX_BLOCK_SIZE,
  MAX_FAMILIES_PER_GROUP,
  MAX_LOCALITY_GROUPS,
  MIN_BLOCK_SIZE,
  PurgePolicySchema,
  TableSchemaSchema,
  type LocalityGroup,
  type SchemaPurgePolicy,
  type TableSchema,
  type TableSchemaInput,
} from './table-schema.js';
export { formatPath, parseTableSchema, validateTableSchema, type SchemaProblem } from './validate-table-schema.js';
export { columnFamily, groupForFamily } from './group-for-family.js';
export { decodeSchemaColumns, encodeSchemaColumns, SCHEMA_COLUMN_PREFIX, SCHEMA_SETTINGS, type DecodedSchema, type SchemaColumn, type SchemaSetting } from './schema-meta.js';
