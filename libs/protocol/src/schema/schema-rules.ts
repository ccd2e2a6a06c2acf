// The cross-group rules of a table schema (DESIGN §6): unique group names,
// at most one wildcard group, each family in at most one group. Field-level
// rules (name patterns, ranges) live in the zod schema; these need the
// whole list. The checker accepts anything (it runs even when fields are
// malformed, so one answer lists every problem) and reports only what it
// can see: a group whose name is not a string takes no part in the
// name-uniqueness rule, and so on.

export interface RuleIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

export function tableSchemaRuleIssues(value: unknown): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const groups = isRecord(value) && Array.isArray(value.groups) ? value.groups : [];
  const nameAt = new Map<string, number>();
  const familyAt = new Map<string, { group: number; index: number }>();
  let wildcardAt: number | undefined;

  groups.forEach((g: unknown, gi) => {
    if (!isRecord(g)) return;
    const label = describeGroup(g, gi);
    if (typeof g.name === 'string') {
      const first = nameAt.get(g.name);
      if (first === undefined) nameAt.set(g.name, gi);
      else {
        issues.push({
          path: ['groups', gi, 'name'],
          message: `group name ${JSON.stringify(g.name)} is already used by groups[${first}]; group names must be unique`,
        });
      }
    }
    if (g.families === '*') {
      if (wildcardAt === undefined) wildcardAt = gi;
      else {
        issues.push({
          path: ['groups', gi, 'families'],
          message: `${label} and ${describeGroup(groups[wildcardAt] as Record<string, unknown>, wildcardAt)} both have families "*"; a schema has at most one wildcard group`,
        });
      }
    } else if (Array.isArray(g.families)) {
      g.families.forEach((f: unknown, fi) => {
        if (typeof f !== 'string') return;
        const first = familyAt.get(f);
        if (first === undefined) familyAt.set(f, { group: gi, index: fi });
        else if (first.group === gi) {
          issues.push({
            path: ['groups', gi, 'families', fi],
            message: `family ${JSON.stringify(f)} is listed twice in ${label} (also at families[${first.index}])`,
          });
        } else {
          const other = describeGroup(groups[first.group] as Record<string, unknown>, first.group);
          issues.push({
            path: ['groups', gi, 'families', fi],
            message: `family ${JSON.stringify(f)} is already in ${other}; a family may belong to at most one group`,
          });
        }
      });
    }
  });
  return issues;
}

function describeGroup(g: Record<string, unknown>, index: number): string {
  return typeof g.name === 'string' ? `group ${JSON.stringify(g.name)} (groups[${index}])` : `groups[${index}]`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
