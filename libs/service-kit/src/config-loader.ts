// The generic whole of a server's parseConfig/loadConfig, around the
// server's own zod schema, environment table and error class (STYLE:
// config is schema-validated once and flows down as arguments).
//
// It promises:
//  - EVERY problem is reported at once: the schema's field checks, the
//    server's cross-field rules (run on the raw input too when a field is
//    bad, since zod skips refinements of an object whose fields failed),
//    and, for loadConfig, unknown or malformed variables (envToRaw);
//  - parseConfig names a problem by its config path (`limits.minTtlMs: …`,
//    `(config): …` for the root), loadConfig by its environment variable;
//  - one message per zod issue, in plain words: an enum names its values,
//    a missing field "is required"; anything else is the schema's own
//    message (zod's, or the one a schema gives, e.g. to avoid echoing a
//    secret);
//  - a failure is always the server's own error class, built from the
//    problem lines.
// It does not import zod: the schema is anything with zod's safeParse.

import { envToRaw, variableFor, type EnvVariable } from './env-config.js';

/** One problem: where (config path) and what. */
export interface ConfigIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The parts of a zod issue the loader reads. */
export interface ConfigSchemaIssue extends ConfigIssue {
  readonly code: string;
  /** Set on zod's `invalid_value` issues (enums, literals). */
  readonly values?: readonly unknown[];
}

/** What the loader needs of a zod schema: its safeParse. */
export interface ConfigSchema<Config> {
  safeParse(input: unknown): { readonly success: true; readonly data: Config } | { readonly success: false; readonly error: { readonly issues: readonly ConfigSchemaIssue[] } };
}

export interface ConfigLoaderOptions<Config> {
  /** Each field on its own (a zod object schema, without the cross-field rules). */
  readonly schema: ConfigSchema<Config>;
  /**
   * The rules between fields. Called with the parsed config, or with the
   * raw input when a field is bad, so it must tolerate wrong types.
   */
  readonly crossFieldIssues?: (input: unknown) => readonly ConfigIssue[];
  /** Every variable starting with this is the server's; an unknown one is a problem. */
  readonly prefix: string;
  /** Environment variable → config path. */
  readonly variables: readonly EnvVariable[];
  /** The server's error class, built from one line per problem. */
  readonly error: new (problems: readonly string[]) => Error;
  /**
   * Report at most one problem per variable (the first: a malformed
   * number, then the schema's, then the cross-field rules'). Unset: every
   * problem, even several for one variable.
   */
  readonly onePerVariable?: boolean;
}

export interface ConfigLoader<Config> {
  /** Validates a config object; throws the server's error naming every bad setting by its config path. */
  parseConfig(input: unknown): Config;
  /** Builds the config from the environment; throws the server's error naming every bad variable. An empty variable counts as unset. */
  loadConfig(env: Readonly<Record<string, string | undefined>>): Config;
}

export function configLoader<Config>(options: ConfigLoaderOptions<Config>): ConfigLoader<Config> {
  const { schema, crossFieldIssues = () => [], prefix, variables, error: ErrorClass, onePerVariable = false } = options;

  /** Every problem of `input` (field checks and cross-field rules), or the config. */
  function validate(input: unknown): { data: Config | undefined; issues: ConfigIssue[] } {
    const result = schema.safeParse(input);
    const issues: ConfigIssue[] = result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: issueMessage(i, input) }));
    issues.push(...crossFieldIssues(result.success ? result.data : input));
    return { data: result.success && issues.length === 0 ? result.data : undefined, issues };
  }

  return {
    parseConfig(input) {
      const { data, issues } = validate(input);
      if (data === undefined) throw new ErrorClass(issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
      return data;
    },
    loadConfig(env) {
      const { raw, problems } = envToRaw(env, prefix, variables);
      const { data, issues } = validate(raw);
      for (const issue of issues) {
        const variable = variableFor(issue.path, variables);
        // E.g. a variable that was not a number was already reported; zod then says "required".
        if (onePerVariable && problems.some((p) => p.startsWith(`${variable}: `))) continue;
        problems.push(`${variable}: ${issue.message}`);
      }
      if (problems.length > 0 || data === undefined) throw new ErrorClass(problems);
      return data;
    },
  };
}

/** A zod issue about `input`, in plain words. */
function issueMessage(issue: ConfigSchemaIssue, input: unknown): string {
  if (issue.code === 'invalid_value' && issue.values !== undefined) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  // Looked up in the input: zod leaves `input` out of its issues unless asked (reportInput).
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return 'is required';
  return issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Base of a server's ConfigError: `problems` holds one line per bad
 * setting; the message is `title:` followed by the problems, one per
 * indented line.
 */
export class ServiceConfigError extends Error {
  readonly problems: readonly string[];
  constructor(title: string, problems: readonly string[]) {
    super(`${title}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
