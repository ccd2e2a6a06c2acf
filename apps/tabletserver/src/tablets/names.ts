// Table names and tablet ids: [A-Za-z0-9._-]{1,128} (DESIGN §7), so they
// sort correctly in META rows and are safe as path segments on disk.

import { randomBytes } from 'node:crypto';
import { KdiError } from '@kdi/protocol';

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** INVALID_ARGUMENT unless `value` is a table name / tablet id ([A-Za-z0-9._-]{1,128}, safe as a path segment). */
export function checkName(field: string, value: string): void {
  if (!NAME_RE.test(value)) {
    throw new KdiError('INVALID_ARGUMENT', `${field} ${JSON.stringify(value.slice(0, 200))} must be 1-128 characters of [A-Za-z0-9._-]`, { details: { field } });
  }
}

/** A fresh tablet id for a half of a split the master did not name. */
export function randomTabletId(): string {
  return `t-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}
