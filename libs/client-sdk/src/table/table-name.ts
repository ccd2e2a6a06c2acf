// Table names (DESIGN §7): [A-Za-z0-9._-]{1,128}, checked before any
// request so a bad name is an INVALID_ARGUMENT that says what to send.

import { KdiError, TableNameSchema } from '@kdi/protocol';

export function checkTableName(name: string): void {
  if (!TableNameSchema.safeParse(name).success) {
    throw new KdiError('INVALID_ARGUMENT', `table name ${JSON.stringify(name)} must be 1-128 characters of [A-Za-z0-9._-]`, { details: { field: 'table' } });
  }
}
