// Locality groups as the engine takes them (DESIGN §6): which column
// families a tablet stores together, and how — compression, block size,
// in-memory caching, purge policy. Each tablet keeps one fragment chain
// per group.
//
// Why this is declared twice: the table schema lives in libs/protocol
// (TableSchemaSchema, validateTableSchema: the wire and META form), but
// libs/storage imports nothing of ours (DESIGN §16). So the engine
// declares a structurally identical shape — a protocol LocalityGroup is
// assignable to LocalityGroupSpec — and repeats the same rules as a pure
// function. Change both together: names, limits, and rules below must
// match libs/protocol/src/schema/{names,table-schema,schema-rules}.ts
// (the engine's tests check the same cases).
//
// Rules: at least one group, at most 64; group names 1-64 characters of
// [A-Za-z0-9._-], not '.' or '..', unique (they are directory names);
// families "*" (the wildcard: every family no other group names) or 1-1024
// family names; family names are 1-256 UTF-8 bytes of well-formed text
// without ':' or control characters, and not "*"; each family in at most
// one group; at most one wildcard group; blockSize (when given) an integer
// in [4 KiB, 4 MiB]; compression 'none' | 'lz4'; a valid purge policy.
// Unlike the wire form, compression and blockSize may be left out: the
// engine's codec and block size apply (that is the default group).

import { type PurgePolicy, validatePurgePolicy } from '../purge/purge-policy.js';

export interface LocalityGroupSpec {
  readonly name: string;
  readonly families: readonly string[] | '*';
  /** Block compression; absent: the engine's codec. */
  readonly compression?: 'none' | 'lz4' | undefined;
  /** Target data block size in bytes; absent: the engine's block size. */
  readonly blockSize?: number | undefined;
  /** Preload the group's blocks and keep them at in-memory cache priority. */
  readonly inMemory?: boolean | undefined;
  readonly purge?: PurgePolicy | undefined;
}

export interface GroupProblem {
  /** Where, e.g. "groups[1].families[0]". */
  readonly path: string;
  readonly message: string;
}

export const DEFAULT_GROUP_NAME = 'default';
export const MIN_GROUP_BLOCK_SIZE = 4 * 1024;
export const MAX_GROUP_BLOCK_SIZE = 4 * 1024 * 1024;
export const MAX_GROUPS = 64;
export const MAX_FAMILIES_PER_GROUP = 1024;
export const MAX_FAMILY_BYTES = 256;

const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The groups of a tablet defined without any: one wildcard group with the engine's codec and block size. */
export function defaultGroups(purge?: PurgePolicy, inMemory?: boolean): LocalityGroupSpec[] {
  return [{ name: DEFAULT_GROUP_NAME, families: '*', ...(purge ? { purge } : {}), ...(inMemory ? { inMemory } : {}) }];
}

/** Every problem with `groups` as a tablet's locality groups; empty when valid. */
export function validateLocalityGroups(groups: readonly LocalityGroupSpec[]): GroupProblem[] {
  const problems: GroupProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!Array.isArray(groups)) return [{ path: 'groups', message: 'groups must be a list of locality groups' }];
  if (groups.length === 0) add('groups', 'at least one locality group is needed');
  if (groups.length > MAX_GROUPS) add('groups', `at most ${MAX_GROUPS} locality groups are allowed, got ${groups.length}`);
  const nameAt = new Map<string, number>();
  const familyAt = new Map<string, number>();
  let wildcardAt: number | undefined;
  groups.forEach((g, gi) => {
    const at = `groups[${gi}]`;
    if (typeof g !== 'object' || g === null) return add(at, 'a locality group must be an object');
    if (typeof g.name !== 'string' || !GROUP_NAME.test(g.name)) add(`${at}.name`, `group name ${JSON.stringify(g.name)} must be 1-64 characters of [A-Za-z0-9._-]`);
    else if (g.name === '.' || g.name === '..') add(`${at}.name`, `group name ${JSON.stringify(g.name)} is reserved (it is a directory name on disk)`);
    else if (nameAt.has(g.name)) add(`${at}.name`, `group name ${JSON.stringify(g.name)} is already used by groups[${nameAt.get(g.name)}]`);
    else nameAt.set(g.name, gi);
    if (g.families === '*') {
      if (wildcardAt !== undefined) add(`${at}.families`, `groups[${wildcardAt}] is already the wildcard group; at most one group may have families "*"`);
      else wildcardAt = gi;
    } else if (!Array.isArray(g.families)) {
      add(`${at}.families`, 'families must be "*" or a list of family names');
    } else {
      if (g.families.length === 0) add(`${at}.families`, 'families must name at least one family (or be "*")');
      if (g.families.length > MAX_FAMILIES_PER_GROUP) add(`${at}.families`, `a group names at most ${MAX_FAMILIES_PER_GROUP} families`);
      (g.families as readonly unknown[]).forEach((f, fi) => {
        const problem = familyNameProblem(f);
        if (problem || typeof f !== 'string') return add(`${at}.families[${fi}]`, problem ?? 'a family name must be a string');
        const other = familyAt.get(f);
        if (other === undefined) familyAt.set(f, gi);
        else add(`${at}.families[${fi}]`, `family ${JSON.stringify(f)} is already in groups[${other}]; a family may belong to at most one group`);
      });
    }
    if (g.compression !== undefined && g.compression !== 'none' && g.compression !== 'lz4') add(`${at}.compression`, 'compression must be "none" or "lz4"');
    if (g.blockSize !== undefined && (!Number.isSafeInteger(g.blockSize) || g.blockSize < MIN_GROUP_BLOCK_SIZE || g.blockSize > MAX_GROUP_BLOCK_SIZE)) {
      add(`${at}.blockSize`, `blockSize must be an integer from ${MIN_GROUP_BLOCK_SIZE} to ${MAX_GROUP_BLOCK_SIZE}, got ${g.blockSize}`);
    }
    if (g.inMemory !== undefined && typeof g.inMemory !== 'boolean') add(`${at}.inMemory`, 'inMemory must be true or false');
    if (g.purge !== undefined) {
      const bad = typeof g.purge === 'object' && g.purge !== null ? validatePurgePolicy(g.purge) : 'purge must be an object';
      if (bad) add(`${at}.purge`, bad);
    }
  });
  return problems;
}

/** Why `name` cannot name a family in a group, or undefined (the protocol's familyNameProblem). */
export function familyNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a family name must be a string';
  const shown = JSON.stringify(name);
  if (name.length === 0) return 'a family name must not be empty';
  if (name === '*') return 'a family cannot be named "*"; write families: "*" for the wildcard group';
  if (name.includes(':')) return `family name ${shown} must not contain ':'`;
  if (LONE_SURROGATE.test(name)) return `family name ${shown} is not well-formed Unicode (lone surrogate)`;
  if (CONTROL.test(name)) return `family name ${shown} must not contain control characters`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_FAMILY_BYTES) return `family name is ${bytes} bytes in UTF-8; the limit is ${MAX_FAMILY_BYTES}`;
  return undefined;
}
