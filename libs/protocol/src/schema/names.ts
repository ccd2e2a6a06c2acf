// Names in a table schema (DESIGN §6).
//
// Group names become file-path segments on the tablet servers' disks
// (`tables/<table>/<tablet>/<group>/…`) and META column qualifiers
// (`schema:<group>:<setting>`), so they are 1–64 characters of
// [A-Za-z0-9._-] and never '.' or '..'.
//
// Family names are the bytes of a column before its first ':' (DESIGN §2).
// A schema names them as text, so the allowed set is what text can name
// unambiguously and what a person can read in a listing:
//   - 1 to MAX_FAMILY_BYTES (256) bytes once encoded as UTF-8;
//   - well-formed Unicode (no lone surrogate: two different strings must
//     never encode to the same bytes);
//   - no ':' (it would end the family), no control character (C0, DEL,
//     C1: invisible in logs and the web page);
//   - not '*' (that is the wildcard, written `families: "*"`).
// Everything else is allowed, spaces and non-ASCII included. A cell whose
// family is outside this set (empty, binary, control characters) can still
// be stored, but only in the wildcard group.

export const GROUP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

// Table names, tablet ids and server ids (DESIGN §7, §14): 1–128 characters
// of [A-Za-z0-9._-] and never '.' or '..', so each is one plain path segment
// when it becomes a directory name (tables/<table>/<tablet>/…) and sorts
// above '!' in META rows. The pattern is ECMAScript (also valid in a JSON
// Schema `pattern`).
export const NAME_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/;
export const NAME_RULE = "1-128 characters of [A-Za-z0-9._-], not '.' or '..'";

/** Why `name` cannot be a table name / tablet id / server id (`what` says which), or undefined when it can. */
export function nameProblem(what: string, name: string): string | undefined {
  if (typeof name !== 'string') return `${what} must be a string of ${NAME_RULE}`;
  if (name === '.' || name === '..') return `${what} ${JSON.stringify(name)} is reserved (it is a directory name on disk); use ${NAME_RULE}`;
  if (!NAME_PATTERN.test(name)) return `${what} ${JSON.stringify(name.slice(0, 200))} must be ${NAME_RULE}`;
  return undefined;
}
export const MAX_FAMILY_BYTES = 256;

const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` cannot name a locality group, or undefined when it can. */
export function groupNameProblem(name: string): string | undefined {
  if (!GROUP_NAME_PATTERN.test(name)) {
    return `group name ${JSON.stringify(name)} must be 1-64 characters of [A-Za-z0-9._-]`;
  }
  if (name === '.' || name === '..') return `group name ${JSON.stringify(name)} is reserved (it is a directory name on disk)`;
  return undefined;
}

/** Why `name` cannot name a column family in a schema, or undefined when it can. */
export function familyNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name.length === 0) return 'a family name must not be empty';
  if (name === '*') return 'a family cannot be named "*"; write families: "*" (a string, not a list) for the wildcard group';
  if (name.includes(':')) return `family name ${shown} must not contain ':' (the column's family ends at its first ':')`;
  if (LONE_SURROGATE.test(name)) return `family name ${shown} is not well-formed Unicode (lone surrogate)`;
  if (CONTROL.test(name)) return `family name ${shown} must not contain control characters`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_FAMILY_BYTES) return `family name is ${bytes} bytes in UTF-8; the limit is ${MAX_FAMILY_BYTES}`;
  return undefined;
}
