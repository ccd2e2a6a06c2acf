// Lock paths arriving in URLs (`/v1/files/{path…}`) and query strings,
// checked before anything reaches the store: nothing is built from a path
// that lockPathProblem has not accepted (DESIGN §14).

import { KdiError, lockPathProblem } from '@kdi/protocol';

/** A file path, or INVALID_ARGUMENT saying what is wrong with it. */
export function requireFilePath(path: string): string {
  const problem = lockPathProblem(path);
  if (problem !== undefined) throw new KdiError('INVALID_ARGUMENT', problem, { details: { field: 'path', path } });
  return path;
}

/** A directory path ('/' allowed), or INVALID_ARGUMENT. */
export function requireDirPath(path: string): string {
  const problem = lockPathProblem(path, { allowRoot: true });
  if (problem !== undefined) throw new KdiError('INVALID_ARGUMENT', problem, { details: { field: 'path', path } });
  return path;
}

/** The lock path of a URL wildcard: `kdi/root` → `/kdi/root`, '' → '/'. */
export function pathFromWildcard(wildcard: string): string {
  return `/${wildcard}`;
}
