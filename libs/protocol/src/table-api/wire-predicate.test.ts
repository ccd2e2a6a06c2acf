import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import { parsePredicate } from '../predicate/parser.js';
import { printPredicate } from '../predicate/printer.js';
import { readWirePredicate } from './wire-predicate.js';

describe('readWirePredicate', () => {
  it('gives the text form and the equivalent structure one predicate and one canonical text', () => {
    const text = readWirePredicate(`row >= 'a' and history = 2`, 'utf8');
    const structure = readWirePredicate({ rows: [{ lower: { value: 'a', inclusive: true } }], history: 2 }, 'utf8');
    expect(structure.predicate).toEqual(text.predicate);
    expect(text.canonical).toBe(printPredicate(parsePredicate(`row >= 'a' and history = 2`)));
    expect(structure.canonical).toBe(text.canonical);
    // Printed once, on first read.
    expect(text.canonical).toBe(text.canonical);
    expect(readWirePredicate(undefined, 'utf8')).toMatchObject({ predicate: {}, canonical: '' });
  });

  it('names the field and the position of a syntax error', () => {
    let error: unknown;
    try {
      readWirePredicate(`row = `, 'utf8', 'body.predicate');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KdiError);
    expect((error as KdiError).code).toBe('INVALID_ARGUMENT');
    expect((error as KdiError).message).toMatch(/^body\.predicate: /);
  });
});
