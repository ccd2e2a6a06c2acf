// The generic half of a server's loadConfig(env): maps environment
// variables (`{name, path, number}` entries) onto a raw config object for
// the server's own zod schema, and names every bad variable so an operator
// fixes them all in one go. An unknown variable with the server's prefix is
// an error too: a typo such as KDI_LOCK_CLUSTER_SECERT would otherwise
// silently leave the service open.

/** Environment variable → config path. Numbers are parsed strictly (digits only). */
export interface EnvVariable {
  readonly name: string;
  readonly path: readonly string[];
  readonly number?: true;
}

/**
 * The raw config object the `variables` of `env` describe, and a problem
 * line for every unknown `prefix` variable (sorted) and every number
 * variable that is not a whole number. An empty variable counts as unset.
 */
export function envToRaw(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  variables: readonly EnvVariable[],
): { raw: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const names = variables.map((v) => v.name);
  const known = new Set(names);
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(prefix) && !known.has(name)) {
      problems.push(`${name}: unknown setting (known: ${names.join(', ')})`);
    }
  }
  const raw: Record<string, unknown> = {};
  for (const { name, path, number } of variables) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    let value: unknown = text;
    if (number) {
      if (!/^[0-9]{1,16}$/.test(text)) {
        problems.push(`${name}: ${JSON.stringify(text)} is not a whole number`);
        continue;
      }
      value = Number(text);
    }
    setPath(raw, path, value);
  }
  return { raw, problems };
}

/** The variable that sets config `path`; else the dotted path, or '(config)' for the root. */
export function variableFor(path: readonly PropertyKey[], variables: readonly EnvVariable[]): string {
  const key = path.join('.');
  return variables.find((e) => e.path.join('.') === key)?.name ?? (key || '(config)');
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = (node[key] ??= {}) as Record<string, unknown>;
    node = next;
  }
  node[path[path.length - 1]!] = value;
}
