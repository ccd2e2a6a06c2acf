import { describe, expect, it } from 'vitest';
import { configLoader, ServiceConfigError, type ConfigIssue, type ConfigSchema, type ConfigSchemaIssue } from './config-loader.js';
import type { EnvVariable } from './env-config.js';

interface Config {
  readonly port: number;
  readonly level: string;
  readonly limits: { readonly min: number; readonly max: number };
}

/**
 * A stand-in for a zod object schema (service-kit does not depend on zod):
 * fills defaults and reports issues shaped as zod reports them.
 */
const schema: ConfigSchema<Config> = {
  safeParse(input) {
    if (typeof input !== 'object' || input === null) {
      return {
        success: false,
        error: { issues: [{ code: 'invalid_type', path: [], message: `Invalid input: expected object, received ${input === null ? 'null' : typeof input}` }] },
      };
    }
    const c = input as Record<string, unknown>;
    const limits = (c['limits'] ?? {}) as Record<string, unknown>;
    const config = { port: c['port'] ?? 7, level: c['level'] ?? 'info', limits: { min: limits['min'] ?? 1, max: limits['max'] ?? 10 } };
    const issues: ConfigSchemaIssue[] = [];
    const extra = Object.keys(c).filter((k) => !['port', 'level', 'limits'].includes(k));
    if (extra.length > 0) issues.push({ code: 'unrecognized_keys', path: [], message: `Unrecognized key: ${JSON.stringify(extra[0])}` });
    if (typeof config.port !== 'number' || config.port > 65_535) {
      issues.push({ code: 'too_big', path: ['port'], message: 'Too big: expected number to be <=65535' });
    }
    if (!['info', 'warn'].includes(config.level as string)) {
      issues.push({ code: 'invalid_value', path: ['level'], message: 'Invalid option', values: ['info', 'warn'] });
    }
    if (typeof config.limits.min !== 'number') {
      issues.push({ code: 'invalid_type', path: ['limits', 'min'], message: 'Invalid input: expected number' });
    }
    if (typeof config.limits.max !== 'number' || config.limits.max < 2) {
      issues.push({ code: 'too_small', path: ['limits', 'max'], message: 'Too small: expected number to be >=2' });
    }
    return issues.length === 0 ? { success: true, data: config as Config } : { success: false, error: { issues } };
  },
};

/** min ≤ max, on the parsed config or the raw input (tolerating wrong types). */
function crossFieldIssues(input: unknown): ConfigIssue[] {
  const limits = ((input as { limits?: unknown } | undefined)?.limits ?? {}) as Record<string, unknown>;
  const min = limits['min'] ?? 1;
  const max = limits['max'] ?? 10;
  return typeof min === 'number' && typeof max === 'number' && min > max ? [{ path: ['limits', 'min'], message: `${min} exceeds max ${max}` }] : [];
}

const VARS: EnvVariable[] = [
  { name: 'X_PORT', path: ['port'], number: true },
  { name: 'X_LEVEL', path: ['level'] },
  { name: 'X_MIN', path: ['limits', 'min'], number: true },
  { name: 'X_MAX', path: ['limits', 'max'], number: true },
];

class TestConfigError extends ServiceConfigError {
  constructor(problems: readonly string[]) {
    super('invalid test server configuration', problems);
  }
}

const loader = configLoader({ schema, crossFieldIssues, prefix: 'X_', variables: VARS, error: TestConfigError });

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TestConfigError);
    return (e as TestConfigError).problems;
  }
  throw new Error('expected a TestConfigError');
}

describe('ServiceConfigError', () => {
  it('puts the title and every problem, one per indented line, in its message', () => {
    const e = new TestConfigError(['A: bad', 'B: worse']);
    expect(e.message).toBe('invalid test server configuration:\n  A: bad\n  B: worse');
    expect(e.name).toBe('ConfigError');
    expect(e.problems).toEqual(['A: bad', 'B: worse']);
    expect(e).toBeInstanceOf(Error);
  });
});

describe('configLoader: parseConfig', () => {
  it('returns what the schema parsed', () => {
    expect(loader.parseConfig({ port: 80 })).toEqual({ port: 80, level: 'info', limits: { min: 1, max: 10 } });
  });

  it('names every problem by config path, the root as (config), enums by their values', () => {
    expect(problemsOf(() => loader.parseConfig({ port: 70_000, level: 'loud', bogus: 1 }))).toEqual([
      '(config): Unrecognized key: "bogus"',
      'port: Too big: expected number to be <=65535',
      'level: must be one of "info", "warn"',
    ]);
  });

  it('says "is required" of a missing value, and zod\'s words of a value of the wrong type', () => {
    expect(problemsOf(() => loader.parseConfig(undefined))).toEqual(['(config): is required']);
    expect(problemsOf(() => loader.parseConfig(null))).toEqual(['(config): Invalid input: expected object, received null']);
    expect(problemsOf(() => loader.parseConfig({ limits: { min: 'x' } }))).toEqual(['limits.min: Invalid input: expected number']);
  });

  it('runs the cross-field rules on the parsed config', () => {
    expect(problemsOf(() => loader.parseConfig({ limits: { min: 5, max: 4 } }))).toEqual(['limits.min: 5 exceeds max 4']);
  });

  it('runs the cross-field rules on the raw input when a field is bad, reporting both', () => {
    expect(problemsOf(() => loader.parseConfig({ port: 70_000, limits: { min: 5, max: 4 } }))).toEqual([
      'port: Too big: expected number to be <=65535',
      'limits.min: 5 exceeds max 4',
    ]);
  });

  it('works without cross-field rules', () => {
    const plain = configLoader({ schema, prefix: 'X_', variables: VARS, error: TestConfigError });
    expect(plain.parseConfig({ limits: { min: 5, max: 4 } })).toEqual({ port: 7, level: 'info', limits: { min: 5, max: 4 } });
  });
});

describe('configLoader: loadConfig', () => {
  it('builds the config from the variables, ignoring other ones and empty ones', () => {
    expect(loader.loadConfig({ X_PORT: '80', X_LEVEL: '', PATH: '/usr/bin' })).toEqual({ port: 80, level: 'info', limits: { min: 1, max: 10 } });
  });

  it('names every problem by its variable: unknown, not a number, the schema, the cross-field rules', () => {
    expect(problemsOf(() => loader.loadConfig({ X_PORT: '70000', X_LEVEL: 'loud', X_MIN: '5', X_MAX: '4', X_TYPO: '1' }))).toEqual([
      'X_TYPO: unknown setting (known: X_PORT, X_LEVEL, X_MIN, X_MAX)',
      'X_PORT: Too big: expected number to be <=65535',
      'X_LEVEL: must be one of "info", "warn"',
      'X_MIN: 5 exceeds max 4',
    ]);
  });

  it('falls back to the config path for a problem no variable sets', () => {
    const noMin = configLoader({ schema, crossFieldIssues, prefix: 'X_', variables: VARS.filter((v) => v.name !== 'X_MIN'), error: TestConfigError });
    expect(problemsOf(() => noMin.loadConfig({ X_MAX: '0' }))).toEqual(['X_MAX: Too small: expected number to be >=2', 'limits.min: 1 exceeds max 0']);
  });

  it('reports every problem of a variable, or with onePerVariable only its first', () => {
    // X_MIN is not a number (so min takes its default, 1); X_MAX is 0: below the schema's minimum and below min.
    const env = { X_MIN: 'lots', X_MAX: '0' };
    expect(problemsOf(() => loader.loadConfig(env))).toEqual(['X_MIN: "lots" is not a whole number', 'X_MAX: Too small: expected number to be >=2', 'X_MIN: 1 exceeds max 0']);
    const once = configLoader({ schema, crossFieldIssues, prefix: 'X_', variables: VARS, error: TestConfigError, onePerVariable: true });
    expect(problemsOf(() => once.loadConfig(env))).toEqual(['X_MIN: "lots" is not a whole number', 'X_MAX: Too small: expected number to be >=2']);
    expect(problemsOf(() => once.loadConfig({ X_MAX: '1', X_MIN: '3' }))).toEqual(['X_MAX: Too small: expected number to be >=2', 'X_MIN: 3 exceeds max 1']);
  });
});
