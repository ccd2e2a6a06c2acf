import { describe, expect, it } from 'vitest';
import type { LocalityGroupSpec } from './locality-group.js';
import { planSchemaChange } from './schema-change.js';

const g = (name: string, families: string[] | '*', extra: Partial<LocalityGroupSpec> = {}): LocalityGroupSpec => ({ name, families, ...extra });
const plan = (old: LocalityGroupSpec[], next: LocalityGroupSpec[]) => {
  const p = planSchemaChange(old, next);
  return { carry: Object.fromEntries(p.carry), retire: [...p.retire] };
};

describe('planSchemaChange', () => {
  it('carries every chain when only settings or names change', () => {
    expect(plan([g('a', ['x']), g('r', '*')], [g('b', ['x'], { compression: 'none', inMemory: true }), g('rest', '*', { purge: { maxHistory: 1 } })])).toEqual({
      carry: { a: 'b', r: 'rest' },
      retire: [],
    });
  });

  it('carries chains that merge into one group', () => {
    expect(plan([g('a', ['x']), g('b', ['y']), g('r', '*')], [g('ab', ['x', 'y']), g('r', '*')])).toEqual({ carry: { a: 'ab', b: 'ab', r: 'r' }, retire: [] });
    expect(plan([g('a', ['x']), g('r', '*')], [g('r', '*')])).toEqual({ carry: { a: 'r', r: 'r' }, retire: [] });
  });

  it('retires the wildcard chain when a family it may hold gets a group of its own', () => {
    expect(plan([g('default', '*')], [g('a', ['x']), g('rest', '*')])).toEqual({ carry: {}, retire: ['default'] });
    expect(plan([g('a', ['x']), g('r', '*')], [g('a', ['x', 'y']), g('r', '*')])).toEqual({ carry: { a: 'a' }, retire: ['r'] });
  });

  it('retires a chain whose families split over several groups', () => {
    expect(plan([g('ab', ['x', 'y']), g('r', '*')], [g('a', ['x']), g('r', '*')])).toEqual({ carry: { r: 'r' }, retire: ['ab'] });
  });

  it('retires chains holding a family that no group holds any more', () => {
    expect(plan([g('a', ['x']), g('b', ['y'])], [g('a', ['x'])])).toEqual({ carry: { a: 'a' }, retire: ['b'] });
    expect(plan([g('a', ['x']), g('r', '*')], [g('a', ['x'])])).toEqual({ carry: { a: 'a' }, retire: ['r'] });
    expect(plan([g('ab', ['x', 'y'])], [g('a', ['x'])])).toEqual({ carry: {}, retire: ['ab'] });
  });

  it('without an old wildcard, a new wildcard takes the named chains whose families it now holds', () => {
    expect(plan([g('a', ['x']), g('b', ['y'])], [g('a', ['x']), g('r', '*')])).toEqual({ carry: { a: 'a', b: 'r' }, retire: [] });
  });
});
