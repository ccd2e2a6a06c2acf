// Table names and tablet ids: [A-Za-z0-9._-]{1,128}, never '.' or '..'
// (DESIGN §7, §14), so they sort correctly in META rows and are one plain
// path segment on disk.

import { randomBytes } from 'node:crypto';
import { KdiError, nameProblem } from '@kdi/protocol';

/** INVALID_ARGUMENT unless `value` is a table name / tablet id ([A-Za-z0-9._-]{1,128}, not '.' or '..': one path segment). */
export function checkName(field: string, value: string): void {
  const problem = nameProblem(field, value);
  if (problem !== undefined) throw new KdiError('INVALID_ARGUMENT', problem, { details: { field } });
}

/** A fresh tablet id for a half of a split the master did not name. */
export function randomTabletId(): string {
  return `t-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}
