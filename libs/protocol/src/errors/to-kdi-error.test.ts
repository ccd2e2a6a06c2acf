import { describe, expect, it } from 'vitest';
import { parsePredicate } from '../predicate/parser.js';
import { KdiError } from './kdi-error.js';
import { toKdiError } from './to-kdi-error.js';

describe('toKdiError', () => {
  it('keeps KdiErrors as they are', () => {
    const e = new KdiError('NOT_FOUND', 'no table t');
    expect(toKdiError(e)).toBe(e);
  });

  it('turns a predicate syntax error into INVALID_ARGUMENT naming the position', () => {
    let thrown: unknown;
    try {
      parsePredicate("row = 'a' and");
    } catch (e) {
      thrown = e;
    }
    const k = toKdiError(thrown);
    expect(k.code).toBe('INVALID_ARGUMENT');
    expect(k.status).toBe(400);
    expect(k.message).toMatch(/bad predicate: at position \d+: expected/);
    expect(k.details).toMatchObject({ position: expect.any(Number) });
  });

  it('hides the message of anything else behind INTERNAL', () => {
    const k = toKdiError(new Error('secret path /etc/x'));
    expect(k.code).toBe('INTERNAL');
    expect(k.message).not.toContain('secret');
  });
});
