// Tablet ids the master generates: [A-Za-z0-9._-]{1,128} (the tablet
// servers' name rule), unique by a random suffix, readable by a prefix of
// the table name.

import { randomBytes } from 'node:crypto';

const MAX_PREFIX = 100;

export function newTabletId(table: string): string {
  return `${table.slice(0, MAX_PREFIX)}-${randomBytes(8).toString('hex')}`;
}
