// Lock-service paths (DESIGN §8): absolute, '/'-separated names such as
// `/kdi/servers/ts-1`. Each segment is 1–255 characters of [A-Za-z0-9._-]
// and is neither '.' nor '..'; at most 32 segments and 1024 characters.
// The root '/' is the only path that ends in '/'. Directories are implicit:
// a path is a directory when some file lies below it.

export const MAX_LOCK_PATH_LENGTH = 1024;
export const MAX_LOCK_PATH_DEPTH = 32;
const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;

/** Why `path` is not a valid lock-service path, or undefined when it is. */
export function lockPathProblem(path: string, opts: { allowRoot?: boolean } = {}): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'a path is required';
  if (path.length > MAX_LOCK_PATH_LENGTH) return `path is ${path.length} characters; the limit is ${MAX_LOCK_PATH_LENGTH}`;
  if (!path.startsWith('/')) return `path ${JSON.stringify(path)} must start with '/'`;
  if (path === '/') return opts.allowRoot ? undefined : "the root '/' is a directory, not a file";
  if (path.endsWith('/')) return `path ${JSON.stringify(path)} must not end with '/'`;
  const segments = path.slice(1).split('/');
  if (segments.length > MAX_LOCK_PATH_DEPTH) return `path has ${segments.length} segments; the limit is ${MAX_LOCK_PATH_DEPTH}`;
  for (const s of segments) {
    if (s === '.' || s === '..') return `path ${JSON.stringify(path)} contains a '${s}' segment`;
    if (!SEGMENT.test(s)) return `path segment ${JSON.stringify(s)} must be 1-255 characters of [A-Za-z0-9._-]`;
  }
  return undefined;
}

/** The parent directory of a file path ('/' for top-level names). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** True when `path` is `dir` itself or lies below it. */
export function isUnder(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || path.startsWith(`${dir}/`);
}
