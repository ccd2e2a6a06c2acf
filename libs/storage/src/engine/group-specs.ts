// Locality group lists as the engine takes them from callers: validated
// (every problem named) and copied, so later changes to the caller's
// objects cannot reach a tablet's groups.

import { invalidArgument } from '../errors.js';
import { type LocalityGroupSpec, validateLocalityGroups } from '../schema/locality-group.js';

/** A private, frozen copy of group specs: callers' objects may change later. */
export function copyGroups(groups: readonly LocalityGroupSpec[]): readonly LocalityGroupSpec[] {
  if (!Array.isArray(groups)) return groups;
  return Object.freeze(
    groups.map((g) =>
      typeof g === 'object' && g !== null
        ? Object.freeze({
            ...g,
            families: Array.isArray(g.families) ? Object.freeze([...g.families]) : g.families,
            ...(g.purge && typeof g.purge === 'object' ? { purge: Object.freeze({ ...g.purge }) } : {}),
          })
        : g,
    ),
  );
}

/** 'invalid-argument' naming every problem of an invalid list; `what` says whose list it is. */
export function checkGroups(groups: readonly LocalityGroupSpec[], what: string): void {
  const problems = validateLocalityGroups(groups);
  if (problems.length > 0) {
    throw invalidArgument(`${what}: invalid locality groups: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
}
