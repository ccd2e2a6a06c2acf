import { describe, expect, it } from 'vitest';
import { envToRaw, variableFor, type EnvVariable } from './env-config.js';

const VARS: EnvVariable[] = [
  { name: 'X_HOST', path: ['host'] },
  { name: 'X_PORT', path: ['port'], number: true },
  { name: 'X_MAX', path: ['limits', 'max'], number: true },
];

describe('envToRaw', () => {
  it('maps variables onto nested paths, numbers parsed, empty ones unset', () => {
    expect(envToRaw({ X_HOST: 'h', X_PORT: '', X_MAX: '12', OTHER: 'y' }, 'X_', VARS)).toEqual({
      raw: { host: 'h', limits: { max: 12 } },
      problems: [],
    });
  });

  it('names every unknown variable and every bad number', () => {
    const { raw, problems } = envToRaw({ X_ZZ: '1', X_AA: '1', X_PORT: '12a' }, 'X_', VARS);
    expect(raw).toEqual({});
    expect(problems).toEqual([
      'X_AA: unknown setting (known: X_HOST, X_PORT, X_MAX)',
      'X_ZZ: unknown setting (known: X_HOST, X_PORT, X_MAX)',
      'X_PORT: "12a" is not a whole number',
    ]);
  });
});

describe('variableFor', () => {
  it('names the variable of a path, else the path', () => {
    expect(variableFor(['limits', 'max'], VARS)).toBe('X_MAX');
    expect(variableFor(['nope'], VARS)).toBe('nope');
    expect(variableFor([], VARS)).toBe('(config)');
  });
});
